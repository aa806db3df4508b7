"""Writing the checked rows of an import (``contracts.imports``) in one transaction:
the reports are locked and checked again (one submitted since the checks is a
conflict: nothing is written), missing draft reports are created, values are
inserted or upserted in bulk with their history rows copied by the database, and
each report written counts one version, as a save through the form or the API does."""

from dataclasses import dataclass

from django.conf import settings
from django.db import connections, models, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from contracts.imports.checking import (
    BATCH_SIZE,
    _CheckedRow,
    _chunks,
    _not_editable_message,
    _reports_by_key,
)
from contracts.models import ProgressReport, ReportStatus
from contracts.services import bump_report_versions
from indicators.models import IndicatorValue, ValueStatus

UPDATED_FIELDS = [
    "value",
    "source",
    "comment",
    "justification",
    "status",
    "entered_by",
    "entered_at",
]


@dataclass
class _Written:
    created: int
    updated: int
    reports: list[ProgressReport]  # by contract reference and year, contracts attached


class _Conflict(Exception):
    """A report changed between the checks and the write: roll back. ``errors`` holds
    the (line, reason) of the rows whose report is no longer editable."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(errors)
        self.errors = errors


def _write_history(model, pks: list[int], history_type: str, user, date) -> None:
    """The history rows simple_history's bulk helpers write for the rows ``pks`` of
    ``model`` (same columns and values: a copy of each row, the date, the user, no
    reason), copied by the database in one ``INSERT … SELECT`` per batch instead of
    being built one Python object at a time."""
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = model.history.model
    tracked = history.tracked_fields
    stamps = {
        "history_date": models.Value(date, output_field=models.DateTimeField()),
        "history_user_id": models.Value(user.pk, output_field=models.IntegerField()),
        "history_change_reason": models.Value(None, output_field=models.CharField()),
        "history_type": models.Value(history_type, output_field=models.CharField()),
    }
    aliases = {f"_stamp_{index}": value for index, value in enumerate(stamps.values())}
    columns = [field.column for field in tracked] + [
        history._meta.get_field(name.removesuffix("_id")).column for name in stamps
    ]
    quote = connections[model.objects.db].ops.quote_name
    for chunk in _chunks(pks):
        rows = (
            model._default_manager.filter(pk__in=chunk)
            .order_by()
            .annotate(**aliases)
            .values_list(*[field.attname for field in tracked], *aliases)
        )
        sql, params = rows.query.sql_with_params()
        with connections[rows.db].cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} "
                f"({', '.join(quote(column) for column in columns)}) {sql}",
                params,
            )


def _insert_batch() -> int | None:
    """Rows per INSERT: as many as the backend takes (PostgreSQL: all), since each
    statement is a round trip and a plan."""
    return None if connections[IndicatorValue.objects.db].vendor == "postgresql" else BATCH_SIZE


def _write(checked: list[_CheckedRow], user) -> _Written:
    """Write ``checked`` for ``user``; raises _Conflict (or IntegrityError, a write that
    raced this one) and then nothing is written."""
    now = timezone.now()
    pairs = {(row.contract.pk, row.year) for row in checked}
    contract_ids = sorted({contract_id for contract_id, _year in pairs})
    with transaction.atomic():
        reports = _reports_by_key(contract_ids, lock=True)
        stale = [
            (row.line, _not_editable_message(reports[(row.contract.pk, row.year)]))
            for row in checked
            if (row.contract.pk, row.year) in reports
            and not reports[(row.contract.pk, row.year)].is_editable
        ]
        if stale:
            raise _Conflict(stale)
        missing = [
            ProgressReport(contract_id=contract_id, year=year, status=ReportStatus.DRAFT)
            for contract_id, year in sorted(pairs)
            if (contract_id, year) not in reports
        ]
        if missing:
            bulk_create_with_history(
                missing,
                ProgressReport,
                batch_size=BATCH_SIZE,
                default_user=user,
                default_date=now,
            )
            reports = _reports_by_key(contract_ids)
        touched = {pair: reports[pair] for pair in pairs}
        existing = {}
        for chunk in _chunks(sorted(report.pk for report in touched.values())):
            for value in IndicatorValue.objects.filter(report_id__in=chunk):
                existing[(value.report_id, value.indicator_id)] = value
        to_create, to_update = [], []
        for row in checked:
            report = touched[(row.contract.pk, row.year)]
            value = existing.get((report.pk, row.indicator.pk))
            if value is None:
                value = IndicatorValue(
                    report=report,
                    indicator=row.indicator,
                    territory_id=row.contract.territory_id,
                    year=row.year,
                    is_demo=row.contract.is_demo,  # a demonstration contract's data
                )
                to_create.append(value)
            else:
                to_update.append(value)
            value.value = row.value
            value.source = row.source
            value.comment = row.comment
            value.justification = row.justification.strip()
            value.status = ValueStatus.DRAFT
            value.entered_by = user
            value.entered_at = now
        if to_create:
            IndicatorValue.objects.bulk_create(to_create, batch_size=_insert_batch())
            if any(value.pk is None for value in to_create):  # a backend without RETURNING
                raise RuntimeError("bulk_create returned no primary keys")
            _write_history(IndicatorValue, [value.pk for value in to_create], "+", user, now)
        if to_update:
            # An upsert on the primary key: QuerySet.bulk_update's CASE WHEN per row and
            # field takes tens of seconds for 10 000 rows; this takes a fraction of one.
            IndicatorValue.objects.bulk_create(
                to_update,
                batch_size=_insert_batch(),
                update_conflicts=True,
                unique_fields=["pk"],
                update_fields=UPDATED_FIELDS,
            )
            _write_history(IndicatorValue, [value.pk for value in to_update], "~", user, now)
        # A save like the form's and the API's: whoever read one of these reports
        # before the import gets a conflict instead of overwriting the imported values.
        bump_report_versions(touched.values(), user, now)
    contracts = {row.contract.pk: row.contract for row in checked}
    for report in touched.values():
        report.contract = contracts[report.contract_id]
    reports = sorted(touched.values(), key=lambda report: (report.contract.reference, report.year))
    return _Written(created=len(to_create), updated=len(to_update), reports=reports)
