"""kit.db.update_rows: many rows set in one UPDATE, values keeping their types."""

from decimal import Decimal

from contracts.models import Target
from kit.db import update_rows
from tests.contracts.factories import TargetFactory


def test_update_rows_sets_each_row_its_own_values_nulls_included(db, django_assert_num_queries):
    first, second, _untouched = TargetFactory(), TargetFactory(), TargetFactory()
    with django_assert_num_queries(1):
        update_rows(
            Target,
            ["alignment", "committed_pace", "alignment_gap"],
            [
                (first.pk, "below", Decimal("-0.8"), Decimal("42.872928")),
                (second.pk, "", None, None),
            ],
        )
    rows = Target.objects.order_by("pk").values_list("alignment", "committed_pace", "alignment_gap")
    assert list(rows) == [
        ("below", Decimal("-0.8"), Decimal("42.872928")),
        ("", None, None),
        ("", None, None),
    ]


def test_update_rows_batches_and_does_nothing_without_rows(db, django_assert_num_queries):
    targets = [TargetFactory() for _ in range(3)]
    with django_assert_num_queries(0):
        update_rows(Target, ["alignment"], [])
    with django_assert_num_queries(2):
        update_rows(Target, ["alignment"], [(t.pk, "beyond") for t in targets], batch_size=2)
    assert set(Target.objects.values_list("alignment", flat=True)) == {"beyond"}
