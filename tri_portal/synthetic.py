"""Synthetic data at regional or national scale, for benchmarks (`make bench`).

``generate(scale, years, seed)`` imports the official territories of the scale, then
creates, for every EPCI and commune of the scale, one validated value per indicator of
``INDICATORS`` and year (≈ 4.4 million values for all of France), and three-year
contracts for a share of the EPCIs and communes (some communes inside a contracted
EPCI: nested contracts), with targets and progress reports:

* completed contracts (last year − 4 … last year − 2): validated reports;
* active contracts (last year − 1 … last year + 1): the first year validated, the last
  year's report *submitted* and waiting for validation (its values are submitted, not
  validated) — what the benchmark validates.

Values are plausible for the population (per-inhabitant ratios with a trend and a
territory factor) and depend only on the seed and the territory code: the same seed
gives the same values whatever the machine. Everything is marked as demo data with
the source ``SOURCE``; values are written with PostgreSQL's COPY (batched
``bulk_create`` on SQLite) and carry no history rows (4 million history rows would
double the load for nothing: no person entered them).
"""

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from contracts.models import (
    Contract,
    ContractStatus,
    ProgressReport,
    ReportStatus,
    Signatory,
    Target,
    TargetEntry,
)
from indicators.catalogue import sync_catalogue
from indicators.models import Indicator, IndicatorValue, ValueStatus
from kit.cache import bump_data_version
from kit.console import ProgressBar
from territories.importer import build_scope, import_scope, is_up_to_date, load_package
from territories.models import Territory, TerritoryClosure, TerritoryKind

SOURCE = "Données synthétiques (generate_synthetic)"
REFERENCE_PREFIX = "SYN-"
USERNAME = "synthetique"
SCALES = ("tiny", "region", "national")
TINY_DEPARTEMENT = "60"  # Oise: ≈ 680 communes, enough for a smoke run in seconds
REGION = "32"  # Hauts-de-France
COPY_BATCH = 100_000
EPCI_SHARE = 0.10  # share of EPCIs with a contract
COMMUNE_SHARE = 0.01  # share of communes with a contract
NESTED_SHARE = 0.3  # share of contracted EPCIs with a contracted commune inside
TARGET_INDICATORS = ["cae_2.a", "cae_1.a", "cae_3.a"]


@dataclass(frozen=True)
class Series:
    """``per_inhabitant`` × population × territory factor, × (1 + trend) per year."""

    identifier: str
    per_inhabitant: float
    trend: float
    cumulative: bool = False  # grows from ~0 (dwellings renovated since the reference year)
    per_capita: bool = False  # the value is itself per inhabitant (kWh/hab.an)


INDICATORS = [
    Series("terr_1", 1.0, 0.003),
    Series("cae_2.a", 0.025, -0.015),  # GWh: 25 MWh per inhabitant
    Series("cae_2.e", 0.0075, -0.02),
    Series("cae_2.m", 0.008, -0.01),
    Series("cae_1.a", 0.006, -0.025),  # kteq CO2: 6 t per inhabitant
    Series("cae_1.c", 0.0012, -0.03),
    Series("cae_1.k", 0.002, -0.015),
    Series("cae_3.a", 4.0, 0.06),  # MWh: 4 MWh per inhabitant
    Series("cae_20", 85.0, -0.04, per_capita=True),  # kWh/hab.an
    Series("tri_logements_renoves", 0.004, 0.0, cumulative=True),
    Series("tri_points_recharge_ve", 0.0008, 0.25),
    Series("tri_amenagements_cyclables", 0.0006, 0.05),
]


@dataclass
class Summary:
    territories: int = 0
    values: int = 0
    contracts: int = 0
    reports: int = 0
    submitted_reports: int = 0


def last_year_default() -> int:
    return timezone.localdate().year - 1


def _rng(seed: int, *parts) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def series_values(series: Series, population: int, factor: float, years: list[int], first: int):
    """The values of one territory for ``years`` (Decimal, 3 decimals)."""
    values = []
    for year in years:
        step = year - first
        if series.per_capita:
            amount = series.per_inhabitant * factor * (1 + series.trend) ** step
        elif series.cumulative:
            amount = series.per_inhabitant * population * factor * (step + 1)
        else:
            amount = series.per_inhabitant * population * factor * (1 + series.trend) ** step
        values.append(Decimal(f"{max(amount, 0):.3f}"))
    return values


def territory_values(seed: int, code: str, population: int, years: list[int]) -> list[list]:
    """{indicator: [values per year]} for one territory: depends only on seed and code."""
    rng = _rng(seed, code)
    first = years[0]
    rows = []
    for series in INDICATORS:
        factor = rng.uniform(0.6, 1.4)
        rows.append(series_values(series, population, factor, years, first))
    return rows


# --- Territories ---------------------------------------------------------------------------


def import_territories(scale: str, stream=None) -> None:
    dataset = load_package()
    scope = build_scope(dataset, None if scale == "national" else REGION)
    if not is_up_to_date(dataset, scope.label):
        import_scope(dataset, scope, stream=stream)


def reporting_territories(scale: str) -> list[Territory]:
    """The EPCIs and communes that get values, by code (a stable order)."""
    queryset = Territory.objects.filter(kind__in=[TerritoryKind.EPCI, TerritoryKind.COMMUNE])
    if scale != "national":
        code = TINY_DEPARTEMENT if scale == "tiny" else REGION
        kind = TerritoryKind.DEPARTEMENT if scale == "tiny" else TerritoryKind.REGION
        scope = Territory.objects.get(kind=kind, code=code)
        inside = TerritoryClosure.objects.filter(ancestor=scope, contains_whole=True)
        queryset = queryset.filter(pk__in=inside.values("descendant_id"))
    return list(queryset.order_by("kind", "code").only("id", "kind", "code", "name", "population"))


# --- Contracts -----------------------------------------------------------------------------------


def _choose_contract_territories(seed: int, territories: list[Territory]) -> list[Territory]:
    rng = _rng(seed, "contracts")
    epcis = [t for t in territories if t.kind == TerritoryKind.EPCI]
    communes = [t for t in territories if t.kind == TerritoryKind.COMMUNE]
    chosen_epcis = rng.sample(epcis, max(1, round(len(epcis) * EPCI_SHARE))) if epcis else []
    chosen = chosen_epcis + rng.sample(communes, max(1, round(len(communes) * COMMUNE_SHARE)))
    nested = rng.sample(chosen_epcis, round(len(chosen_epcis) * NESTED_SHARE + 0.5))
    members: dict[int, int] = {}  # EPCI → its first commune (by code)
    for epci_id, commune_id in (
        TerritoryClosure.objects.filter(ancestor__in=nested, descendant__kind=TerritoryKind.COMMUNE)
        .order_by("ancestor_id", "descendant__code")
        .values_list("ancestor_id", "descendant_id")
    ):
        members.setdefault(epci_id, commune_id)
    by_id = {t.pk: t for t in communes}
    taken = {t.pk for t in chosen}
    for commune_id in members.values():
        if commune_id in by_id and commune_id not in taken:
            chosen.append(by_id[commune_id])
            taken.add(commune_id)
    return sorted(chosen, key=lambda t: (t.kind, t.code))


@dataclass
class Plan:
    """Contract periods and report statuses by year."""

    last_year: int

    def periods(self, years: list[int]) -> list[tuple[int, str]]:
        """(first year, status) of the contracts of one territory."""
        found = [(self.last_year - 1, ContractStatus.ACTIVE)]
        if self.last_year - 4 >= years[0]:
            found.insert(0, (self.last_year - 4, ContractStatus.COMPLETED))
        return found

    def report_status(self, year: int) -> str:
        return ReportStatus.SUBMITTED if year == self.last_year else ReportStatus.VALIDATED


def create_contracts(territories, years, plan: Plan, user, values_of) -> dict:
    """Contracts, signatories, targets and reports; returns {(territory id, year): report}."""
    now = timezone.now()
    contracts = []
    for territory in territories:
        for first, status in plan.periods(years):
            contracts.append(
                Contract(
                    territory=territory,
                    reference=f"{REFERENCE_PREFIX}{territory.kind[:3].upper()}-{territory.code}-{first}",
                    title=f"Contrat d'objectifs TRI {first}-{first + 2} — {territory.name}",
                    summary="Contrat synthétique pour les mesures de performance.",
                    status=status,
                    signed_on=date(first - 1, 12, 1),
                    start_date=date(first, 1, 1),
                    end_date=date(first + 2, 12, 31),
                    status_changed_at=now,
                    status_changed_by=user,
                    is_demo=True,
                )
            )
    bulk_create_with_history(contracts, Contract, batch_size=1000, default_user=user)
    contracts = list(Contract.objects.filter(reference__startswith=REFERENCE_PREFIX))
    indicators = Indicator.objects.in_bulk(TARGET_INDICATORS, field_name="identifier")
    signatories, targets, reports = [], [], []
    for contract in contracts:
        for organisation in ("ADEME Hauts-de-France", "Conseil régional", contract.territory.name):
            signatories.append(Signatory(contract=contract, organisation=organisation[:200]))
        first = contract.start_date.year
        baseline_year = max(years[0], first - 3)
        series = values_of(contract.territory)
        for identifier in TARGET_INDICATORS:
            baseline = series[identifier].get(baseline_year, Decimal(0))
            change = Decimal("1.5") if identifier == "cae_3.a" else Decimal("0.85")
            targets.append(
                Target(
                    contract=contract,
                    indicator=indicators[identifier],
                    baseline_year=baseline_year,
                    baseline_value=baseline,
                    target_year=first + 2,
                    target_value=(baseline * change).quantize(Decimal("0.001")),
                    entered_as=TargetEntry.PERCENT,
                    relative_change=(change - 1) * 100,
                )
            )
        for year in range(first, first + 3):
            if year in years and year <= plan.last_year:
                status = plan.report_status(year)
                at = timezone.make_aware(datetime.combine(date(year + 1, 3, 1), time(12)))
                reports.append(
                    ProgressReport(
                        contract=contract,
                        year=year,
                        status=status,
                        submitted_at=at,
                        submitted_by=user,
                        reviewed_at=at if status == ReportStatus.VALIDATED else None,
                        reviewed_by=user if status == ReportStatus.VALIDATED else None,
                        version=2,
                    )
                )
    Signatory.objects.bulk_create(signatories, batch_size=2000)
    bulk_create_with_history(targets, Target, batch_size=2000, default_user=user)
    bulk_create_with_history(reports, ProgressReport, batch_size=2000, default_user=user)
    saved = ProgressReport.objects.filter(contract__reference__startswith=REFERENCE_PREFIX)
    return {(r.contract.territory_id, r.year): r for r in saved.select_related("contract")}


# --- Values -------------------------------------------------------------------------------------

COLUMNS = [
    "territory_id",
    "indicator_id",
    "year",
    "value",
    "source",
    "comment",
    "status",
    "report_id",
    "is_demo",
    "entered_by_id",
    "entered_at",
    "validated_by_id",
    "validated_at",
]


def value_rows(seed, territories, years, indicators, reports, user, existing):
    """One tuple per value, in COLUMNS order."""
    for territory in territories:
        series = territory_values(seed, territory.code, territory.population or 0, years)
        for spec, values in zip(INDICATORS, series, strict=True):
            indicator_id = indicators[spec.identifier]
            for year, value in zip(years, values, strict=True):
                if (territory.pk, indicator_id, year) in existing:
                    continue
                report = reports.get((territory.pk, year))
                validated = report is None or report.status == ReportStatus.VALIDATED
                entered = timezone.make_aware(datetime.combine(date(year + 1, 2, 1), time(9)))
                yield (
                    territory.pk,
                    indicator_id,
                    year,
                    value,
                    SOURCE,
                    "",
                    ValueStatus.VALIDATED if validated else ValueStatus.SUBMITTED,
                    report.pk if report else None,
                    True,
                    user.pk,
                    entered,
                    user.pk if validated else None,
                    entered if validated else None,
                )


def _copy(rows: list[tuple]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([r"\N" if cell is None else cell for cell in row])
    buffer.seek(0)
    table = IndicatorValue._meta.db_table
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
        )


def _bulk_create(rows: list[tuple]) -> None:
    IndicatorValue.objects.bulk_create(
        [IndicatorValue(**dict(zip(COLUMNS, row, strict=True))) for row in rows], batch_size=2000
    )


def write_values(rows, total: int, stream=None) -> int:
    write = _copy if connection.vendor == "postgresql" else _bulk_create
    written = 0
    batch = []
    with ProgressBar("Valeurs", total, stream) as bar:
        for row in rows:
            batch.append(row)
            if len(batch) == COPY_BATCH:
                write(batch)
                written += len(batch)
                bar.advance(len(batch))
                batch = []
        if batch:
            write(batch)
            written += len(batch)
            bar.advance(len(batch))
    return written


# --- Entry point -------------------------------------------------------------------------------


def synthetic_user():
    user, _created = get_user_model().objects.get_or_create(
        username=USERNAME,
        defaults={"first_name": "Données", "last_name": "synthétiques", "is_active": False},
    )
    return user


def already_generated() -> bool:
    return Contract.objects.filter(reference__startswith=REFERENCE_PREFIX).exists()


def generate(scale: str, years: int, seed: int, last_year: int | None = None, stream=None):
    """Generate everything for ``scale`` (see the module docstring); one transaction."""
    if scale not in SCALES:
        raise ValueError(scale)
    last_year = last_year or last_year_default()
    year_list = list(range(last_year - years + 1, last_year + 1))
    import_territories(scale, stream=stream)
    sync_catalogue(Indicator)
    summary = Summary()
    with transaction.atomic():
        user = synthetic_user()
        territories = reporting_territories(scale)
        summary.territories = len(territories)
        indicators = dict(
            Indicator.objects.filter(identifier__in=[s.identifier for s in INDICATORS]).values_list(
                "identifier", "pk"
            )
        )

        def values_of(territory):
            series = territory_values(seed, territory.code, territory.population or 0, year_list)
            return {
                spec.identifier: dict(zip(year_list, values, strict=True))
                for spec, values in zip(INDICATORS, series, strict=True)
            }

        plan = Plan(last_year)
        contracted = _choose_contract_territories(seed, territories)
        reports = create_contracts(contracted, year_list, plan, user, values_of)
        existing = set(
            IndicatorValue.objects.validated()
            .filter(year__in=year_list)
            .values_list("territory_id", "indicator_id", "year")
        )
        total = len(territories) * len(INDICATORS) * len(year_list) - len(existing)
        rows = value_rows(seed, territories, year_list, indicators, reports, user, existing)
        summary.values = write_values(rows, total, stream)
        summary.contracts = Contract.objects.filter(reference__startswith=REFERENCE_PREFIX).count()
        summary.reports = len(reports)
        summary.submitted_reports = sum(
            1 for r in reports.values() if r.status == ReportStatus.SUBMITTED
        )
    bump_data_version()  # cached public pages and counts were made for other data
    if connection.vendor == "postgresql" and connection.get_autocommit():
        # Statistics for the planner — of every table loaded, territories and closure
        # included (with none, it takes 35 000 communes for 19) — and the visibility
        # map that index-only scans need (autovacuum would do it later; measurements
        # need it now).
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {IndicatorValue._meta.db_table}")
            cursor.execute("ANALYZE")
    return summary
