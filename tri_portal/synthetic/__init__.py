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

Modules: ``series`` (the values' maths), ``contracts`` (contracts, targets, reports),
``values`` (writing the values); this one imports the territories and runs the whole.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from contracts.models import Contract, ReportStatus
from indicators.catalogue import sync_catalogue
from indicators.models import Indicator, IndicatorValue
from kit.cache import bump_data_version
from territories.importer import build_scope, import_scope, is_up_to_date, load_package
from territories.models import Territory, TerritoryClosure, TerritoryKind
from tri_portal.synthetic.contracts import (
    REFERENCE_PREFIX,
    TARGET_INDICATORS,
    Plan,
    choose_contract_territories,
    create_contracts,
)
from tri_portal.synthetic.series import INDICATORS, Series, series_values, territory_values
from tri_portal.synthetic.values import SOURCE, value_rows, write_values

__all__ = [
    "INDICATORS",
    "REFERENCE_PREFIX",
    "SCALES",
    "SOURCE",
    "TARGET_INDICATORS",
    "Series",
    "Summary",
    "already_generated",
    "generate",
    "last_year_default",
    "series_values",
    "territory_values",
]

USERNAME = "synthetique"
SCALES = ("tiny", "region", "national")
TINY_DEPARTEMENT = "60"  # Oise: ≈ 680 communes, enough for a smoke run in seconds
REGION = "32"  # Hauts-de-France


@dataclass
class Summary:
    territories: int = 0
    values: int = 0
    contracts: int = 0
    reports: int = 0
    submitted_reports: int = 0


def last_year_default() -> int:
    return timezone.localdate().year - 1


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
        contracted = choose_contract_territories(seed, territories)
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
