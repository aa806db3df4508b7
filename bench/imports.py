"""B5: import of a spreadsheet through the officer import service
(``contracts.imports.import_values``, what the officer's import page calls) against
raw ``bulk_create`` of the same rows, and B5x, the same import from an XLSX file.

The bench makes its own officer, assignments and active three-year contracts (on
territories that have no contract, so nothing else decides which contract a row goes
to), all under the ``BENCH-IMPORT-`` reference / ``bench-import-`` username, and
removes everything it created (values, history rows, reports, contracts, assignments,
the user) between runs and at the end: the bench runs again on the same database.
Floor and figure runs alternate (floor, figure, floor, figure); the fastest of each
is kept."""

import csv
import io
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from openpyxl import Workbook

from bench.results import AT_MOST, Result
from contracts import imports
from contracts.models import (
    Contract,
    ContractStatus,
    ProgressReport,
    ReportStatus,
)
from indicators.models import Indicator, IndicatorValue, ValueStatus
from kit.cache import bump_data_version
from territories.models import OfficerAssignment, Territory, TerritoryKind

REFERENCE_PREFIX = "BENCH-IMPORT-"
USERNAME = "bench-import-officer"
INDICATORS = 12
YEARS = 3  # a three-year contract
ROUNDS = 2
XLSX_BOUND = 10.0  # informational: parsing XLSX costs what it costs
SOURCE = "Banc d'essai (import)"


class BenchImportError(RuntimeError):
    """The import refused the bench file: the bench is wrong, not slow."""


@dataclass
class Plan:
    """What the bench created: the officer, and per contract its territory and years."""

    user: object
    contracts: list[Contract]
    indicators: list[Indicator]
    rows: list[tuple[Contract, Indicator, int, Decimal]]  # contract, indicator, year, value


# --- Preparing and removing the bench's own data -----------------------------------


def first_year() -> int:
    """Contracts cover the last three full years (an import refuses future years)."""
    return timezone.localdate().year - YEARS


def _value(index: int) -> Decimal:
    return Decimal(index % 9_000 + 1) + Decimal("0.25")


def prepare(rows: int) -> Plan:
    """Officer, assignments and active contracts for ``rows`` values (bulk, one
    transaction); removes the leftovers of an interrupted run first."""
    cleanup()
    indicators = list(Indicator.objects.filter(formula="").order_by("identifier")[:INDICATORS])
    per_territory = len(indicators) * YEARS
    needed = -(-rows // per_territory)
    territories = list(
        Territory.objects.filter(kind=TerritoryKind.COMMUNE, contracts__isnull=True)
        .order_by("code")
        .only("id", "code")[:needed]
    )
    if len(territories) < needed:
        raise BenchImportError(
            f"B5 : {needed} communes sans contrat nécessaires, {len(territories)} trouvées."
        )
    start = date(first_year(), 1, 1)
    end = date(first_year() + YEARS, 1, 1) - timedelta(days=1)
    with transaction.atomic():
        user = get_user_model().objects.create_user(USERNAME, email="", password=None)
        OfficerAssignment.objects.bulk_create(
            OfficerAssignment(user=user, territory=territory) for territory in territories
        )
        contracts = Contract.objects.bulk_create(
            Contract(
                territory=territory,
                reference=f"{REFERENCE_PREFIX}{territory.code}",
                title=f"Banc d'essai import {territory.code}",
                status=ContractStatus.ACTIVE,
                signed_on=start,
                start_date=start,
                end_date=end,
            )
            for territory in territories
        )
    for contract, territory in zip(contracts, territories, strict=True):
        contract.territory = territory
    plan_rows = []
    for contract in contracts:
        for indicator in indicators:
            for year in range(first_year(), first_year() + YEARS):
                if len(plan_rows) < rows:
                    plan_rows.append((contract, indicator, year, _value(len(plan_rows))))
    return Plan(user, contracts, indicators, plan_rows)


def clean_values() -> None:
    """The values, reports and history rows written into the bench's contracts."""
    contracts = Contract.objects.filter(reference__startswith=REFERENCE_PREFIX).values("pk")
    reports = ProgressReport.objects.filter(contract__in=contracts).values("pk")
    # Raw deletes: no signal per row (10 000 post_delete receivers bumping the cache).
    with transaction.atomic():
        for queryset in (
            IndicatorValue.history.filter(report_id__in=reports),
            IndicatorValue.objects.filter(report__in=reports),
            ProgressReport.history.filter(contract_id__in=contracts),
            ProgressReport.objects.filter(contract__in=contracts),
        ):
            queryset._raw_delete(queryset.db)


def cleanup() -> None:
    """Everything the bench created, whatever state an earlier run left it in."""
    clean_values()
    users = get_user_model().objects.filter(username=USERNAME)
    with transaction.atomic():
        for queryset in (
            OfficerAssignment.history.filter(user_id__in=users.values("pk")),
            OfficerAssignment.objects.filter(user__in=users),
            Contract.history.filter(reference__startswith=REFERENCE_PREFIX),
            Contract.objects.filter(reference__startswith=REFERENCE_PREFIX),
        ):
            queryset._raw_delete(queryset.db)
        users.delete()
    bump_data_version()  # public pages never show the bench's contracts


def leftovers() -> dict[str, int]:
    """Rows of the bench still in the database (all zero after cleanup())."""
    contracts = Contract.objects.filter(reference__startswith=REFERENCE_PREFIX)
    return {
        "users": get_user_model().objects.filter(username=USERNAME).count(),
        "contracts": contracts.count(),
        "reports": ProgressReport.objects.filter(contract__in=contracts).count(),
        "values": IndicatorValue.objects.filter(report__contract__in=contracts).count(),
    }


# --- The file and the two ways of writing it -----------------------------------------


def _row_cells(contract, indicator, year, value):
    return [contract.territory.code, indicator.identifier, year, value, indicator.unit, SOURCE, ""]


def csv_upload(plan: Plan) -> SimpleUploadedFile:
    """A French spreadsheet's CSV: semicolons, decimal commas, UTF-8."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(imports.COLUMNS)
    for contract, indicator, year, value in plan.rows:
        cells = _row_cells(contract, indicator, year, value)
        cells[3] = str(value).replace(".", ",")
        writer.writerow(cells)
    return SimpleUploadedFile("valeurs.csv", buffer.getvalue().encode(), content_type="text/csv")


def xlsx_upload(plan: Plan) -> SimpleUploadedFile:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Valeurs")
    sheet.append(imports.COLUMNS)
    for contract, indicator, year, value in plan.rows:
        sheet.append(_row_cells(contract, indicator, year, float(value)))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        "valeurs.xlsx",
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def floor_write(plan: Plan) -> None:
    """The same values, status draft, in the same draft reports, with nothing else:
    no file, no check, no history — two ``bulk_create``."""
    now = timezone.now()
    pairs = sorted({(contract.pk, year) for contract, _indicator, year, _value in plan.rows})
    with transaction.atomic():
        reports = ProgressReport.objects.bulk_create(
            ProgressReport(contract_id=contract_id, year=year, status=ReportStatus.DRAFT)
            for contract_id, year in pairs
        )
        report_ids = {(report.contract_id, report.year): report.pk for report in reports}
        IndicatorValue.objects.bulk_create(
            IndicatorValue(
                report_id=report_ids[(contract.pk, year)],
                territory_id=contract.territory_id,
                indicator=indicator,
                year=year,
                value=value,
                source=SOURCE,
                status=ValueStatus.DRAFT,
                entered_by=plan.user,
                entered_at=now,
            )
            for contract, indicator, year, value in plan.rows
        )


def figure_write(plan: Plan, upload: SimpleUploadedFile) -> None:
    upload.seek(0)
    result = imports.import_values(upload, plan.user)
    if not result.ok or result.created != len(plan.rows):
        raise BenchImportError(
            f"B5 : l'import a refusé le fichier du banc ({result.created} valeurs créées) : "
            f"{result.errors[:5]}"
        )


def check_written(plan: Plan) -> None:
    """Both ways leave the same thing: one draft value per row, in its report."""
    contracts = Contract.objects.filter(reference__startswith=REFERENCE_PREFIX)
    values = IndicatorValue.objects.filter(report__contract__in=contracts, status=ValueStatus.DRAFT)
    per_report = values.values("report").annotate(n=Count("pk"))
    if values.count() != len(plan.rows) or len(per_report) != len(
        {(c.pk, y) for c, _i, y, _v in plan.rows}
    ):
        raise BenchImportError("B5 : les valeurs écrites ne correspondent pas au fichier.")


def timed(write, plan, *args) -> float:
    started = time.perf_counter()
    write(plan, *args)
    elapsed = time.perf_counter() - started
    check_written(plan)
    clean_values()
    return elapsed


def side_by_side(plan: Plan, upload) -> tuple[list[float], list[float]]:
    figures, floors = [], []
    for _round in range(ROUNDS):
        floors.append(timed(floor_write, plan))
        figures.append(timed(figure_write, plan, upload))
    return figures, floors


def run(rows: int = 10_000) -> list[Result]:
    """B5 (CSV) and B5x (XLSX, informational): Django set up on the bench database."""
    plan = prepare(rows)
    try:
        csv_file = csv_upload(plan)
        xlsx_file = xlsx_upload(plan)
        csv_figures, csv_floors = side_by_side(plan, csv_file)
        xlsx_figures, xlsx_floors = side_by_side(plan, xlsx_file)
    finally:
        cleanup()
    common = {
        "rows": len(plan.rows),
        "contracts": len(plan.contracts),
        "indicators": len(plan.indicators),
        "kept": "fastest run of each (interleaved floor, figure, floor, figure)",
    }
    return [
        Result(
            id="B5",
            name=f"Import CSV de {len(plan.rows):,} valeurs (service de l'espace référent)".replace(
                ",", " "
            ),
            figure=min(csv_figures),
            floor=min(csv_floors),
            unit="s",
            op=AT_MOST,
            bound=3,
            floor_name="bulk_create des mêmes valeurs et rapports",
            details={
                **common,
                "file_bytes": csv_file.size,
                "figure_runs_s": [round(t, 3) for t in csv_figures],
                "floor_runs_s": [round(t, 3) for t in csv_floors],
            },
        ),
        Result(
            id="B5x",
            name=f"Import XLSX de {len(plan.rows):,} valeurs (informatif)".replace(",", " "),
            figure=min(xlsx_figures),
            floor=min(xlsx_floors),
            unit="s",
            op=AT_MOST,
            bound=XLSX_BOUND,
            floor_name="bulk_create des mêmes valeurs et rapports",
            details={
                **common,
                "informational": "pas de cible ferme : lire un XLSX coûte ce qu'il coûte "
                f"(borne large de {XLSX_BOUND:g})",
                "file_bytes": xlsx_file.size,
                "figure_runs_s": [round(t, 3) for t in xlsx_figures],
                "floor_runs_s": [round(t, 3) for t in xlsx_floors],
            },
        ),
    ]
