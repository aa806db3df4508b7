import io

from django.core.management import call_command
from django.urls import reverse

from indicators.aggregation import recompute_all
from tri_portal.cache import data_version


def test_the_dashboard_is_served_from_the_cache_until_aggregates_change(
    client, db, django_assert_num_queries
):
    call_command("load_demo", stdout=io.StringIO())
    recompute_all()
    url = reverse("regional_dashboard")
    first = client.get(url)

    with django_assert_num_queries(0):
        assert client.get(url).content == first.content
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304

    recompute_all()

    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_the_territory_page_is_cached(client, fourmies, django_assert_num_queries):
    url = reverse("territory", args=[fourmies.slug])
    client.get(url)
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response["Cache-Control"] == "public, max-age=60"
    assert "Cookie" in response["Vary"]


def test_a_territory_import_changes_the_data_version(db, django_capture_on_commit_callbacks):
    before = data_version()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("import_territories", "--force", stdout=io.StringIO(), stderr=io.StringIO())

    assert data_version() != before
