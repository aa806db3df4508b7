"""Checking the rows of an import (``contracts.imports``) against the database before
anything is written: each data row of the table read from the file becomes a _Row, is
resolved (territory by INSEE code or SIREN, indicator, year, value, the contract that
covers the year and its report) in a handful of queries for the whole file, and either
becomes a _CheckedRow ready to write or adds its errors, with the line the user sees.

A value is checked by ``Indicator.check_value`` alone (number, finite, at most
``VALUE_DECIMALS`` places, plausible bounds): the import adds no rule of its own."""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.imports.reading import COLUMNS, Table
from contracts.models import REPORTING_STATUSES, Contract, ProgressReport, assigned_territories
from indicators.models import Indicator, IndicatorValue
from indicators.plausibility import check_plausibility
from indicators.selectors import validated_series_by_territory
from kit.years import YEAR_MIN
from territories.models import Territory

BATCH_SIZE = 500  # ids per IN (...) lookup, and rows per INSERT where a backend limits them
COMMENT_MAX_LENGTH = 2000  # as the progress form and the API
SOURCE_MAX_LENGTH = IndicatorValue._meta.get_field("source").max_length


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
    justification: str


@dataclass
class _CheckedRow:
    line: int
    contract: Contract
    indicator: Indicator
    year: int
    value: Decimal
    source: str
    comment: str
    justification: str = ""


# --- Lookups: a few queries for the whole file ------------------------------------


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
            .with_earlier_last_year()
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


# --- Checking the rows ------------------------------------------------------------


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
        reportable = [c for c in contracts if c.status in REPORTING_STATUSES]
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
        if len(row.justification) > COMMENT_MAX_LENGTH:
            self.error(
                row.line,
                _("justification trop longue : %(max)s caractères au plus.")
                % {"max": COMMENT_MAX_LENGTH},
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
        # Each part that found nothing (territory, indicator, year, value, contract) has
        # added an error: without a new error, all of them were found.
        if len(self.errors) == errors_before:
            self.checked.append(
                _CheckedRow(
                    row.line,
                    contract,
                    indicator,
                    year,
                    number,
                    row.source,
                    row.comment,
                    row.justification,
                )
            )


def _unjustified(checked: list[_CheckedRow]) -> list[str]:
    """« ligne 12 : … justification requise » for each implausible value without a
    justification (indicators.plausibility, against the latest validated value before
    its year): it imports as a draft, but its report cannot be submitted before."""
    territories = {row.contract.territory_id: row.contract.territory for row in checked}
    indicators = {row.indicator.pk: row.indicator for row in checked}
    series = validated_series_by_territory(territories.values(), indicators.values())
    found = []
    for row in checked:
        if row.justification.strip():
            continue
        points = series[row.contract.territory_id][row.indicator.identifier]
        earlier = [point for point in points if point[0] < row.year]
        if not earlier:
            continue
        finding = check_plausibility(row.indicator, earlier[-1][1], row.value, earlier[-1][0])
        if finding is not None:
            found.append(
                _("ligne %(line)s : %(name)s %(finding)s.")
                % {"line": row.line, "name": row.indicator.identifier, "finding": finding.message}
            )
    return found


def _rows(table: Table, errors: list, warnings: list[str]) -> list[_Row]:
    """The rows to import; rows with a formula are already in error, rows without a
    value are skipped (a downloaded template has empty values). A misaligned row adds
    its error to ``errors``, the skipped rows a warning to ``warnings``."""
    formula_lines = {line for line, _message in table.errors}
    rows, skipped = [], 0
    for line, cells in table.rows:
        if line in formula_lines:
            continue
        # A formula cell (None, the only cell that is not text) is on a line skipped above.
        if any(cells[len(COLUMNS) :]) or (table.width and len(cells) > table.width):
            errors.append(
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
        warnings.append(_("%(count)s ligne(s) sans valeur ignorée(s).") % {"count": skipped})
    return rows
