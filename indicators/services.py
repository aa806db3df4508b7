"""Use cases of the indicators app: the apps above call them when they change values,
and the region publishes its own figures through them."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from indicators.aggregation import record_pending
from indicators.models import Indicator, IndicatorValue, ValueStatus
from indicators.tasks import enqueue_pending_recompute
from kit.cache import bump_data_version_on_commit


def schedule_recompute(values: Iterable[IndicatorValue], replaced=None) -> None:
    """``values`` were just validated (or a validated one corrected), in the caller's
    transaction: record the aggregates they affect in that transaction — the work
    survives a broker outage — and send the recompute to the workers once it has
    committed. ``replaced``: the (territory id, indicator id, year) whose new value
    replaced a validated one (None: not known)."""
    record_pending(values, replaced)
    transaction.on_commit(enqueue_pending_recompute)


def supersede_earlier(value: IndicatorValue, by) -> bool:
    """Mark *superseded* (kept in the records, locked) any other validated value of
    ``value``'s territory, indicator and year; True if there was one."""
    previous = (
        IndicatorValue.objects.validated()
        .select_for_update()
        .filter(territory_id=value.territory_id, indicator_id=value.indicator_id, year=value.year)
        .exclude(pk=value.pk)
    )
    replaced = False
    for old in previous:
        old.status = ValueStatus.SUPERSEDED
        old._history_user = by
        old.save()
        replaced = True
    return replaced


# The fields of a published value set from saved instances (not checked again).
RELATED_FIELDS = ["territory", "indicator", "entered_by", "validated_by"]
BULK_BATCH = 500


@dataclass(frozen=True)
class PublishedValue:
    """A figure the region publishes itself (e.g. from its climate observatory)."""

    indicator: Indicator
    year: int
    value: Decimal
    validated_at: datetime | None = None  # default: the call's ``validated_at``


@transaction.atomic
def publish_validated_values(
    territory,
    values: Iterable[PublishedValue],
    *,
    source: str,
    by,
    validated_at: datetime | None = None,
    is_demo: bool = False,
) -> list[IndicatorValue]:
    """Publish figures of ``territory`` that no contract reports (the region's own
    yearly values): validated by staff member ``by`` at once, with their ``source``,
    an earlier validated value of the same year kept as *superseded*, and the
    aggregate recompute scheduled — all in one transaction. Bad input (a derived
    indicator, an implausible value or year, no source) raises a French
    ValidationError and saves nothing."""
    if not getattr(by, "is_staff", False):
        raise ValidationError(
            _("Seuls les agents de la Région et de l'ADEME publient des valeurs.")
        )
    if not source.strip():
        raise ValidationError(_("Indiquez la source des valeurs publiées."))
    moment = validated_at or timezone.now()
    items = list(values)
    # The earlier validated values of these indicators and years, locked, in one query.
    earlier: dict[tuple[int, int], list[IndicatorValue]] = {}
    if items:
        for old in (
            IndicatorValue.objects.validated()
            .select_for_update()
            .filter(
                territory_id=territory.pk,
                indicator_id__in={item.indicator.pk for item in items},
                year__in={item.year for item in items},
            )
        ):
            earlier.setdefault((old.indicator_id, old.year), []).append(old)
    published, replaced = [], set()
    latest: dict[tuple[int, int], IndicatorValue] = {}  # a later item of the same year wins
    for item in items:
        at = item.validated_at or moment
        value = IndicatorValue(
            territory=territory,
            indicator=item.indicator,
            year=item.year,
            value=item.value,
            source=source,
            status=ValueStatus.VALIDATED,
            is_demo=is_demo,
            entered_by=by,
            entered_at=at,
            validated_by=by,
            validated_at=at,
        )
        # The related objects are the saved instances given: no query to check them.
        value.full_clean(exclude=RELATED_FIELDS, validate_constraints=False)
        key = (item.indicator.pk, item.year)
        if key in latest:
            latest[key].status = ValueStatus.SUPERSEDED
        latest[key] = value
        for old in earlier.pop(key, []):
            old.status = ValueStatus.SUPERSEDED
            old._history_user = by
            old.save()
            replaced.add((territory.pk, item.indicator.pk, item.year))
        value._history_user = by
        value._history_date = at
        published.append(value)
    # One INSERT for the values and one for their history rows (a save() each took
    # most of the demo's loading time); the public pages' data version as a save bumps it.
    IndicatorValue.objects.bulk_create(published, batch_size=BULK_BATCH)
    IndicatorValue.history.bulk_history_create(published, batch_size=BULK_BATCH)
    bump_data_version_on_commit()
    published = [value for value in published if value.status == ValueStatus.VALIDATED]
    schedule_recompute(published, replaced)
    return published
