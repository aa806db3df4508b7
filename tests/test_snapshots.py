"""The suite's fast path (tests/snapshots.py) against the plain rule it replaces: a
state put back from a snapshot is, row for row, the state that was loaded."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from contracts.models import Contract
from indicators.models import IndicatorValue
from territories.models import Territory
from tests import snapshots

pytestmark = pytest.mark.postgres


def every_row() -> dict[str, list[str]]:
    """The content of every table, as PostgreSQL writes it out, in a canonical order."""
    content = {}
    with connection.cursor() as cursor:
        for table in snapshots._tables():
            buffer = io.StringIO()
            cursor.copy_expert(f"COPY {connection.ops.quote_name(table)} TO STDOUT", buffer)
            content[table] = sorted(buffer.getvalue().splitlines())
    return content


def test_a_restored_snapshot_is_the_loaded_demo_row_for_row(db):
    call_command("load_demo", stdout=io.StringIO())
    loaded = every_row()
    snapshots.take("test-demo")
    try:
        IndicatorValue.objects.filter(year=2016).delete()
        Contract.objects.filter(reference="COTRI-2017-ARRAS").update(title="Changé")
        Territory.objects.filter(code="59249").update(name="Ailleurs")
        assert every_row() != loaded

        snapshots.restore("test-demo")

        assert every_row() == loaded
        assert Contract.objects.get(reference="COTRI-2017-ARRAS").title != "Changé"
    finally:
        snapshots._saved.pop("test-demo")


def test_a_restored_snapshot_drops_the_rows_added_since(db, django_user_model):
    before = every_row()
    snapshots.take("test-reference")
    try:
        django_user_model.objects.create_user("ajoute.depuis")
        Territory.objects.filter(code="59249").delete()

        snapshots.restore("test-reference")

        assert not django_user_model.objects.filter(username="ajoute.depuis").exists()
        assert Territory.objects.filter(code="59249").exists()
        assert every_row() == before
    finally:
        snapshots._saved.pop("test-reference")
