"""The spreadsheet template officers download to import their values (CSV or XLSX):
the columns of contracts.imports, one row per key indicator and reportable contract."""

import csv
import io

from django.db.models import Prefetch
from django.utils import timezone
from openpyxl import Workbook

from contracts import calendar
from contracts.imports import ACTION_COLUMNS, ACTION_SHEET, COLUMNS
from contracts.models import REPORTING_STATUSES, Action, Contract
from indicators.models import Indicator

TEMPLATE_INDICATORS = ["cae_2.a", "cae_1.a", "cae_3.a"]
TEMPLATE_FILENAME = "modele-import-valeurs"
TEMPLATE_SHEET = "Valeurs"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_rows(user) -> list[list]:
    """Header and one example row per key indicator and contract ``user`` reports for."""
    today = timezone.localdate()
    indicators = Indicator.objects.in_bulk(TEMPLATE_INDICATORS, field_name="identifier")
    contracts = (
        Contract.objects.reportable_by(user)
        .filter(status__in=REPORTING_STATUSES)
        .with_earlier_last_year()
        .select_related("territory")
        .prefetch_related("targets")
        .order_by("territory__name", "start_date", "reference")
    )
    rows = [list(COLUMNS)]
    for contract in contracts:
        for identifier in TEMPLATE_INDICATORS:
            indicator = indicators.get(identifier)
            if indicator is None:
                continue
            rows.append(
                [
                    contract.territory.code,
                    identifier,
                    calendar.year_to_report(contract, today) or contract.first_year,
                    "",
                    indicator.unit,
                    "",
                    "",
                ]
            )
    return rows


def action_template_rows(user) -> list[list]:
    """The « Actions » sheet: header and one row per fiche action of each contract
    ``user`` reports for, in the year to report, at its current status (XLSX only)."""
    today = timezone.localdate()
    contracts = (
        Contract.objects.reportable_by(user)
        .filter(status__in=REPORTING_STATUSES)
        .with_earlier_last_year()
        .prefetch_related(Prefetch("actions", queryset=Action.objects.order_by("id")))
        .order_by("reference")
    )
    rows = [list(ACTION_COLUMNS)]
    for contract in contracts:
        year = calendar.year_to_report(contract, today) or contract.first_year
        for action in contract.actions.all():
            rows.append(
                [contract.reference, year, action.pk, action.title, action.status, "", "", ""]
            )
    return rows


def template_csv(user) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerows(template_rows(user))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(user) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TEMPLATE_SHEET
    for row in template_rows(user):
        sheet.append(row)
    for (cell,) in sheet.iter_rows(min_col=1, max_col=1):
        cell.number_format = "@"  # keep the leading zero of Aisne's INSEE codes
    for column, width in zip("ABCDEFG", (16, 14, 8, 14, 12, 30, 40), strict=True):
        sheet.column_dimensions[column].width = width
    actions = workbook.create_sheet(ACTION_SHEET)
    for row in action_template_rows(user):
        actions.append(row)
    for column, width in zip("ABCDEFGH", (24, 8, 12, 40, 14, 12, 14, 60), strict=True):
        actions.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TEMPLATE_FORMATS = {
    "csv": (template_csv, CSV_CONTENT_TYPE),
    "xlsx": (template_xlsx, XLSX_CONTENT_TYPE),
}
