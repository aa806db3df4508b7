"""Bulk import of indicator values from a spreadsheet (CSV or XLSX) into the draft
progress reports of the contracts an officer reports for.

All or nothing: every row is checked first and every problem is reported with the
line number the user sees in the file; if there is a single error nothing is
written. Otherwise all values land in their draft reports in one transaction,
written in bulk (a 10 000-row file imports in seconds), with their history; each
report written counts one version, as a save through the form or the API does.

Reading the file, and its limits, is ``contracts.import_files``."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from contracts.import_files import (  # noqa: F401  (the limits, re-exported)
    COLUMNS,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_LINES,
    MAX_IMPORT_ROWS,
    MAX_XLSX_UNPACKED,
    ImportFileError,
    Table,
    read_table,
)
from contracts.models import Contract, ProgressReport, ReportStatus, assigned_territories
from contracts.services import REPORTABLE_CONTRACT_STATUSES, bump_report_versions
from indicators.models import Indicator, IndicatorValue, ValueStatus
from territories.models import Territory

BATCH_SIZE = 500  # ids per IN (...) lookup, and rows per INSERT where a backend limits them
UPDATED_FIELDS = ["value", "source", "comment", "status", "entered_by", "entered_at"]
DECIMAL_PLACES = 6  # IndicatorValue.value
COMMENT_MAX_LENGTH = 2000  # as the progress form and the API
YEAR_MIN = 1990
SOURCE_MAX_LENGTH = IndicatorValue._meta.get_field("source").max_length


@dataclass
class ImportResult:
    """What an import did. ``errors`` holds (line, reason) pairs, line None for a
    problem with the whole file; when there is any error nothing was written."""

    rows: int = 0
    reports: list[ProgressReport] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[tuple[int | None, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    code: str
    identifier: str
    year: str
    value: str
    unit: str
    source: str
    comment: str


@dataclass
class _CheckedRow:
    line: int
    contract: Contract
    indicator: Indicator
    year: int
    value: Decimal
    source: str
    comment: str


# --- Checking the rows ------------------------------------------------------------


def _chunks(items: list, size: int = BATCH_SIZE) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _territories_by_code(codes: set[str]) -> dict[str, list[Territory]]:
    found: dict[str, list[Territory]] = {}
    for chunk in _chunks(sorted(codes)):
        queryset = Territory.objects.filter(code__in=chunk) | Territory.objects.filter(
            siren__in=chunk
        )
        for territory in queryset.only("id", "kind", "code", "siren", "name"):
            for key in {territory.code, territory.siren}:
                if key in codes and territory not in found.setdefault(key, []):
                    found[key].append(territory)
    return found


def _contracts_by_territory(user, territory_ids: set[int]) -> dict[int, list[Contract]]:
    contracts: dict[int, list[Contract]] = {}
    for chunk in _chunks(sorted(territory_ids)):
        queryset = (
            Contract.objects.reportable_by(user)
            .filter(territory_id__in=chunk)
            .select_related("territory")
            .prefetch_related("targets")
        )
        for contract in queryset:
            contracts.setdefault(contract.territory_id, []).append(contract)
    return contracts


def _reports_by_key(
    contract_ids: list[int], *, lock=False
) -> dict[tuple[int, int], ProgressReport]:
    reports = {}
    for chunk in _chunks(sorted(contract_ids)):
        queryset = ProgressReport.objects.filter(contract_id__in=chunk)
        if lock:
            queryset = queryset.select_for_update()
        for report in queryset:
            reports[(report.contract_id, report.year)] = report
    return reports


def _parse_year(text: str) -> int | None:
    if len(text) > 12:  # "2018", "2 018", "2018.0": a year is short
        return None
    try:
        number = Decimal(text.replace("\u202f", "").replace(" ", ""))
    except ArithmeticError:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return int(number)


def _same_unit(given: str, expected: str) -> bool:
    return " ".join(given.split()).casefold() == " ".join(expected.split()).casefold()


def _decimal_places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _not_editable_message(report: ProgressReport) -> str:
    return _(
        "rapport déjà soumis : il n'est plus modifiable (rapport %(year)s « %(status)s »)."
    ) % {
        "year": report.year,
        "status": report.get_status_display(),
    }


class _Checker:
    """Resolves every row against the database (a handful of queries) and collects
    the errors; rows without error become _CheckedRow."""

    def __init__(self, rows: list[_Row], user):
        self.user = user
        self.today = timezone.localdate()
        self.errors: list[tuple[int, str]] = []
        self.checked: list[_CheckedRow] = []
        self.territories = _territories_by_code({row.code for row in rows if row.code})
        territory_ids = {t.pk for candidates in self.territories.values() for t in candidates}
        self.contracts = _contracts_by_territory(user, territory_ids)
        self.assigned = (
            set()
            if user.is_staff
            else set(
                assigned_territories(user)
                .filter(territory_id__in=territory_ids)
                .values_list("territory_id", flat=True)
            )
        )
        self.indicators = {
            indicator.identifier.casefold(): indicator for indicator in Indicator.objects.all()
        }
        contract_ids = [c.pk for contracts in self.contracts.values() for c in contracts]
        self.reports = _reports_by_key(contract_ids)
        self.first_line: dict[tuple[int, int, int], int] = {}
        self.periods: dict[int, tuple[int, int]] = {}
        for row in rows:
            self.check(row)

    def error(self, line: int, message: str) -> None:
        self.errors.append((line, message))

    def territory(self, row: _Row) -> Territory | None:
        if not row.code:
            self.error(row.line, _("code_territoire manquant."))
            return None
        candidates = self.territories.get(row.code)
        if not candidates:
            self.error(
                row.line,
                _(
                    "territoire inconnu : « %(code)s » n'est ni un code INSEE de commune ni un SIREN."
                )
                % {"code": row.code},
            )
            return None
        with_contract = [t for t in candidates if t.pk in self.contracts]
        return (with_contract or candidates)[0]

    def indicator(self, row: _Row) -> Indicator | None:
        if not row.identifier:
            self.error(row.line, _("indicateur manquant."))
            return None
        indicator = self.indicators.get(row.identifier.casefold())
        if indicator is None:
            self.error(
                row.line,
                _("indicateur inconnu : « %(identifier)s » (voir le catalogue des indicateurs).")
                % {"identifier": row.identifier},
            )
            return None
        if indicator.is_derived:
            self.error(
                row.line,
                _(
                    "indicateur « %(identifier)s » calculé, ne se saisit pas : importez ses composantes (%(components)s)."
                )
                % {
                    "identifier": indicator.identifier,
                    "components": ", ".join(indicator.components),
                },
            )
            return None
        return indicator

    def year(self, row: _Row) -> int | None:
        year = _parse_year(row.year)
        if year is None:
            self.error(
                row.line,
                _("année non entière : « %(year)s » (attendu par exemple 2018).")
                % {"year": row.year},
            )
            return None
        if year < YEAR_MIN:
            self.error(row.line, _("année trop ancienne : %(year)s.") % {"year": year})
            return None
        if year > self.today.year:
            self.error(row.line, _("année dans le futur : %(year)s.") % {"year": year})
            return None
        return year

    def value(self, row: _Row, indicator: Indicator) -> Decimal | None:
        ok = True
        if not _same_unit(row.unit, indicator.unit):
            ok = False
            self.error(
                row.line,
                _("unité « %(given)s » incorrecte : « %(identifier)s » se saisit en « %(unit)s ».")
                % {"given": row.unit, "identifier": indicator.identifier, "unit": indicator.unit},
            )
        try:
            number = indicator.check_value(row.value)
        except ValidationError as exc:
            for message in exc.messages:
                self.error(row.line, _("valeur : %(message)s") % {"message": message})
            return None
        if _decimal_places(number) > DECIMAL_PLACES:
            self.error(
                row.line,
                _("valeur : %(places)s décimales au plus.") % {"places": DECIMAL_PLACES},
            )
            return None
        return number if ok else None

    def covers(self, contract: Contract, year: int) -> bool:
        """``contract`` covers ``year`` (its period worked out once per contract)."""
        period = self.periods.get(contract.pk)
        if period is None:
            period = self.periods[contract.pk] = (contract.first_year, contract.last_year)
        return period[0] <= year <= period[1]

    def contract(self, row: _Row, territory: Territory, year: int) -> Contract | None:
        contracts = self.contracts.get(territory.pk)
        if not contracts:
            if self.user.is_staff or territory.pk in self.assigned:
                self.error(
                    row.line,
                    _("année hors contrat : %(territory)s n'a aucun contrat signé.")
                    % {"territory": territory.name},
                )
            else:
                self.error(
                    row.line,
                    _(
                        "territoire non attribué : vous ne pouvez pas importer de valeurs pour « %(code)s »."
                    )
                    % {"code": row.code},
                )
            return None
        reportable = [c for c in contracts if c.status in REPORTABLE_CONTRACT_STATUSES]
        covering = [c for c in reportable if self.covers(c, year)]
        if not covering:
            periods = ", ".join(
                _("%(ref)s : %(first)s à %(last)s")
                % {"ref": c.reference, "first": c.first_year, "last": c.last_year}
                for c in sorted(reportable, key=lambda c: c.start_date)
            )
            self.error(
                row.line,
                _(
                    "année hors contrat : aucun contrat signé de %(territory)s ne couvre %(year)s%(periods)s."
                )
                % {
                    "territory": territory.name,
                    "year": year,
                    "periods": f" ({periods})" if periods else "",
                },
            )
            return None
        contract = max(covering, key=lambda c: (c.start_date, c.pk))
        report = self.reports.get((contract.pk, year))
        if report is not None and not report.is_editable:
            self.error(row.line, _not_editable_message(report))
            return None
        return contract

    def check(self, row: _Row) -> None:
        errors_before = len(self.errors)
        territory = self.territory(row)
        indicator = self.indicator(row)
        year = self.year(row)
        number = self.value(row, indicator) if indicator else None
        if len(row.source) > SOURCE_MAX_LENGTH:
            self.error(
                row.line,
                _("source trop longue : %(max)s caractères au plus.") % {"max": SOURCE_MAX_LENGTH},
            )
        if len(row.comment) > COMMENT_MAX_LENGTH:
            self.error(
                row.line,
                _("commentaire trop long : %(max)s caractères au plus.")
                % {"max": COMMENT_MAX_LENGTH},
            )
        has_year = year is not None
        contract = self.contract(row, territory, year) if territory and has_year else None
        if territory and indicator and has_year:
            key = (territory.pk, indicator.pk, year)
            if key in self.first_line:
                self.error(
                    row.line,
                    _(
                        "ligne en double : même territoire, indicateur et année qu'à la ligne %(line)s."
                    )
                    % {"line": self.first_line[key]},
                )
            else:
                self.first_line[key] = row.line
        if len(self.errors) == errors_before and contract and indicator and number is not None:
            self.checked.append(
                _CheckedRow(row.line, contract, indicator, year, number, row.source, row.comment)
            )


def _rows(table: Table, result: ImportResult) -> list[_Row]:
    """The rows to import; rows with a formula are already in error, rows without a
    value are skipped (a downloaded template has empty values)."""
    formula_lines = {line for line, _message in table.errors}
    rows, skipped = [], 0
    for line, cells in table.rows:
        if line in formula_lines:
            continue
        cells = [cell or "" for cell in cells]
        if any(cells[len(COLUMNS) :]) or (table.width and len(cells) > table.width):
            result.errors.append(
                (
                    line,
                    _(
                        "plus de %(count)s colonnes : vérifiez le séparateur (un nombre à virgule doit être entre guillemets dans un CSV séparé par des virgules)."
                    )
                    % {"count": len(COLUMNS)},
                )
            )
            continue
        cells = (cells + [""] * len(COLUMNS))[: len(COLUMNS)]
        row = _Row(line, *cells)
        if row.code.isdigit() and len(row.code) == 4:  # Aisne's "02001" read as a number
            row.code = f"0{row.code}"
        if row.value == "":
            skipped += 1
            continue
        rows.append(row)
    if skipped:
        result.warnings.append(_("%(count)s ligne(s) sans valeur ignorée(s).") % {"count": skipped})
    return rows


# --- Writing ----------------------------------------------------------------------


class _Conflict(Exception):
    """A report changed between the checks and the write: roll back."""


def _write_history(model, pks: list[int], history_type: str, user, date) -> None:
    """The history rows simple_history's bulk helpers write for the rows ``pks`` of
    ``model`` (same columns and values: a copy of each row, the date, the user, no
    reason), copied by the database in one ``INSERT … SELECT`` per batch instead of
    being built one Python object at a time."""
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True) or not pks:
        return
    history = model.history.model
    tracked = history.tracked_fields
    stamps = {
        "history_date": models.Value(date, output_field=models.DateTimeField()),
        "history_user_id": models.Value(
            user.pk if user is not None else None, output_field=models.IntegerField()
        ),
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


def _write(checked: list[_CheckedRow], user, result: ImportResult) -> None:
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
            result.errors.extend(stale)
            raise _Conflict
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
                )
                to_create.append(value)
            else:
                to_update.append(value)
            value.value = row.value
            value.source = row.source
            value.comment = row.comment
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
    result.rows = len(checked)
    result.created = len(to_create)
    result.updated = len(to_update)
    contracts = {row.contract.pk: row.contract for row in checked}
    for report in touched.values():
        report.contract = contracts[report.contract_id]
    result.reports = sorted(
        touched.values(), key=lambda report: (report.contract.reference, report.year)
    )


def import_values(file, user) -> ImportResult:
    """Import the values of ``file`` (an uploaded CSV or XLSX) for ``user``: all of
    them into draft reports, or none (then ``errors`` lists every problem)."""
    result = ImportResult()
    try:
        table = read_table(file)
    except ImportFileError as exc:
        result.errors.append((None, str(exc)))
        return result
    result.warnings.extend(table.warnings)
    result.errors.extend(table.errors)
    rows = _rows(table, result)
    if not rows and not result.errors:
        result.errors.append(
            (None, _("aucune valeur à importer : la colonne « valeur » est vide."))
        )
        return result
    checker = _Checker(rows, user)
    result.errors.extend(checker.errors)
    if result.errors:
        result.errors.sort(key=lambda error: error[0] or 0)
        return result
    try:
        _write(checker.checked, user, result)
    except _Conflict:
        pass
    except IntegrityError:
        result.errors.append(
            (None, _("un autre enregistrement a eu lieu en même temps : réessayez l'import."))
        )
    if result.errors:
        result.rows = result.created = result.updated = 0
        result.reports = []
    return result
