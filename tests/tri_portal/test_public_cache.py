import io
import os
import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse

from indicators.aggregation import recompute_all
from kit.cache import VERSION_KEY, RedisCache, bump_data_version, data_version


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
def test_with_redis_a_new_data_version_is_seen_by_the_next_request_of_every_process(settings):
    """The version is read from Redis by each request (no copy kept by a process): a
    version stored by another process is the one the next request uses."""
    url = os.environ["CELERY_BROKER_URL"]
    params = {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    settings.CACHES = {"default": {"BACKEND": "kit.cache.RedisCache", "LOCATION": url, **params}}
    other_process = RedisCache(url, params)
    try:
        first = data_version()
        for _ in range(20):
            bump = f"v-{uuid.uuid4().hex}"
            other_process.set(VERSION_KEY, bump, timeout=None)
            assert data_version() == bump != first
        bump_data_version()  # this process's own bump, read by the other one
        assert other_process.get(VERSION_KEY) == data_version() != bump
    finally:
        other_process.delete(VERSION_KEY)
