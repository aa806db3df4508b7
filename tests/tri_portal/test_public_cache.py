import gzip
import io
import os
import time
import uuid

import pytest
from django.core.management import call_command
from django.http import HttpResponse
from django.urls import reverse

from indicators.aggregation import recompute_all
from kit.cache import (
    GZIP_MIN_BYTES,
    VERSION_KEY,
    RedisCache,
    _gzipped,
    _VersionWatch,
    data_version,
)


def test_the_dashboard_is_served_from_the_cache_until_aggregates_change(
    client, demo_recomputed, django_assert_num_queries, django_capture_on_commit_callbacks
):
    url = reverse("regional_dashboard")
    first = client.get(url)

    with django_assert_num_queries(0):
        assert client.get(url).content == first.content
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304

    with django_capture_on_commit_callbacks(execute=True):  # the version moves on commit
        recompute_all()

    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_the_territory_page_is_cached(client, fourmies, django_assert_num_queries):
    url = reverse("territory", args=[fourmies.slug])
    client.get(url)
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response["Cache-Control"] == "public, max-age=60"
    assert "Cookie" in response["Vary"]


def test_a_reader_accepting_gzip_gets_the_page_compressed_once_per_version(
    client, fourmies, django_assert_num_queries
):
    url = reverse("territory", args=[fourmies.slug])
    plain = client.get(url)
    compressed = client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert "Content-Encoding" not in plain
    assert compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    assert int(compressed["Content-Length"]) == len(compressed.content) < len(plain.content) / 2
    assert "Accept-Encoding" in compressed["Vary"]
    assert "Accept-Encoding" in plain["Vary"]
    assert compressed["ETag"] != plain["ETag"]  # two representations, two tags
    with django_assert_num_queries(0):
        again = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert again.content == compressed.content
    assert client.get(url, HTTP_IF_NONE_MATCH=compressed["ETag"]).status_code == 304


def test_a_short_page_or_an_error_is_not_compressed():
    assert _gzipped(HttpResponse("x" * (GZIP_MIN_BYTES - 1))) is None
    assert _gzipped(HttpResponse("x" * GZIP_MIN_BYTES, status=404)) is None
    assert _gzipped(HttpResponse("x" * GZIP_MIN_BYTES))["Content-Encoding"] == "gzip"


def test_the_data_version_moves_when_a_change_is_committed_not_before(
    db, django_capture_on_commit_callbacks
):
    from contracts.models import ContractTheme

    before = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        ContractTheme.objects.first().save()
        assert data_version() == before  # not yet committed

    assert data_version() != before


def test_a_territory_import_changes_the_data_version(db, django_capture_on_commit_callbacks):
    before = data_version()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_territories", "--force", stdout=io.StringIO(), stderr=io.StringIO())

    assert data_version() != before


@pytest.mark.redis
def test_with_redis_a_new_data_version_reaches_every_process_at_once():
    """Each process keeps a copy of the version, updated by Redis publish/subscribe
    (no round trip per request): a copy must never lag behind a bump."""
    url = os.environ["CELERY_BROKER_URL"]
    params = {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    writer, reader = RedisCache(url, params), RedisCache(url, params)
    watch = _VersionWatch()  # the reading process's copy
    try:
        first = watch.version(reader)
        for _ in range(20):
            bump = f"v-{uuid.uuid4().hex}"
            writer.set_and_publish(VERSION_KEY, bump)
            assert watch.version(reader) == bump != first
        assert reader.get(VERSION_KEY) == bump  # stored as the cache's own value
    finally:
        watch._reset()
        writer.delete(VERSION_KEY)


@pytest.mark.redis
def test_with_redis_versions_published_together_leave_the_last_one():
    url = os.environ["CELERY_BROKER_URL"]
    params = {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    writer, reader = RedisCache(url, params), RedisCache(url, params)
    watch = _VersionWatch()
    try:
        watch.version(reader)
        bumps = [f"v-{uuid.uuid4().hex}" for _ in range(5)]
        for bump in bumps:  # arriving together, read by redis-py in one go
            writer.set_and_publish(VERSION_KEY, bump)
        time.sleep(0.1)

        assert watch.version(reader) == bumps[-1]
        assert watch.version(reader) == bumps[-1]  # nothing left unread
    finally:
        watch._reset()
        writer.delete(VERSION_KEY)


@pytest.mark.redis
def test_with_redis_a_lost_subscription_falls_back_to_reading_the_version():
    url = os.environ["CELERY_BROKER_URL"]
    params = {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    backend = RedisCache(url, params)
    watch = _VersionWatch()
    try:
        watch.version(backend)
        watch._pubsub.connection.disconnect()  # the subscription's connection is lost
        backend.set(VERSION_KEY, "set-while-not-listening", timeout=None)  # no publish

        assert watch.version(backend) == "set-while-not-listening"
    finally:
        watch._reset()
        backend.delete(VERSION_KEY)
