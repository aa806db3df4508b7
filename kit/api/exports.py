"""Open-data files: CSV (streamed) and XLSX (written row by row) of a dataset, and its
Table Schema (https://specs.frictionlessdata.io/table-schema/) generated from the same
column list, so the published description can never drift from the file.

CSV: UTF-8, comma separator and decimal point (RFC 4180); ``sep=;`` gives the French
spreadsheet dialect (semicolon, decimal comma, byte-order mark so Excel reads UTF-8).

Every file names its licence (``settings.TRI_OPEN_DATA_LICENCE``): an HTTP ``Link``
header with ``rel="license"`` (RFC 8288; a comment line would break CSV readers), the
XLSX document properties, the Table Schema and the French data dictionary, which is
generated from the same columns.
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

XLSX_MAX_ROWS = 1_048_575  # a worksheet holds 1 048 576 rows, one is the header
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("json", "csv", "xlsx")
SEPARATORS = {",": ",", ";": ";", "comma": ",", "semicolon": ";"}
# Table Schema types in the French data dictionary.
TYPE_LABELS = {
    "string": "texte",
    "integer": "nombre entier",
    "number": "nombre décimal",
    "date": "date (AAAA-MM-JJ)",
    "datetime": "date et heure (ISO 8601)",
    "boolean": "booléen (true / false)",
}


def licence() -> dict[str, str]:
    """The open-data licence: ``{"name": …, "url": …}``."""
    return dict(settings.TRI_OPEN_DATA_LICENCE)


def with_licence(response):
    """``response`` with the licence as an HTTP ``Link`` header (rel="license")."""
    response["Link"] = f'<{licence()["url"]}>; rel="license"'
    return response


@dataclass(frozen=True)
class Column:
    name: str
    title: str
    type: str  # Table Schema type: string, integer, number, date, datetime, boolean
    description: str = ""
    required: bool = False
    unit: str = ""

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type)


@dataclass(frozen=True)
class OpenDataTable:
    """One published open-data table: its columns give the CSV/XLSX header and its
    Table Schema."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]

    def table_schema(self) -> dict:
        fields = []
        for column in self.columns:
            field = {"name": column.name, "title": column.title, "type": column.type}
            if column.description:
                field["description"] = column.description
            if column.type == "number":
                field["decimalChar"] = "."
            if column.type == "datetime":
                field["format"] = "default"
            if column.unit:
                field["unit"] = column.unit
            if column.required:
                field["constraints"] = {"required": True}
            fields.append(field)
        schema = {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "licenses": [{"title": licence()["name"], "path": licence()["url"]}],
            "fields": fields,
            "missingValues": [""],
        }
        if self.primary_key:
            schema["primaryKey"] = list(self.primary_key)
        return schema


def rounded(number: Decimal | None, places: int) -> Decimal | None:
    """``number`` to ``places`` decimals (unchanged if not finite or too long)."""
    if number is None or not number.is_finite():
        return number
    try:
        return number.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        return number


def plain_decimal(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _csv_cell(value, column: Column, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = plain_decimal(value)
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, float):
        text = repr(value)
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if column.type == "string" and text.startswith(FORMULA_TRIGGERS):
        # A spreadsheet would run it as a formula (CSV injection): keep it as text.
        text = "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def csv_lines(
    dataset: OpenDataTable, rows: Iterable[Sequence], separator: str = ","
) -> Iterator[str]:
    """The lines of the CSV file (``;``: the French spreadsheet dialect)."""
    french = separator == ";"
    writer = csv.writer(_Echo(), delimiter=separator, lineterminator="\r\n")
    columns = dataset.columns
    yield ("\ufeff" if french else "") + writer.writerow(dataset.header)
    for row in rows:
        yield writer.writerow(
            [_csv_cell(value, column, french) for value, column in zip(row, columns, strict=True)]
        )


def csv_response(
    dataset: OpenDataTable, rows: Iterable[Sequence], filename: str, *, separator: str = ","
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(dataset, rows, separator), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return with_licence(response)


def _xlsx_value(value):
    if isinstance(value, str):
        # Control characters are not allowed in a worksheet (openpyxl refuses them).
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return value


def xlsx_response(dataset: OpenDataTable, rows: Iterable[Sequence], filename: str) -> FileResponse:
    """The workbook is written row by row (openpyxl write-only mode) to a temporary
    file, then streamed: memory stays flat whatever the number of rows."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = dataset.title
    workbook.properties.description = (
        f"{dataset.description} Licence : {licence()['name']} ({licence()['url']})."
    )
    sheet = workbook.create_sheet(dataset.title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in dataset.columns:
        cell = WriteOnlyCell(sheet, value=column.name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            value = _xlsx_value(value)
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # never a formula, whatever the text starts with
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    buffer = tempfile.TemporaryFile()  # noqa: SIM115 (closed by FileResponse)
    workbook.save(buffer)
    buffer.seek(0)
    return with_licence(
        FileResponse(
            buffer, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_MEDIA_TYPE
        )
    )


DICTIONARY = OpenDataTable(
    name="dictionnaire",
    title="Dictionnaire des données ouvertes",
    description="Les colonnes de chaque fichier de données ouvertes : nom, type, unité, description.",
    columns=(
        Column("fichier", "Fichier (jeu de données)", "string", required=True),
        Column("colonne", "Nom de la colonne", "string", required=True),
        Column("intitule", "Intitulé", "string", required=True),
        Column("type", "Type", "string", ", ".join(TYPE_LABELS.values()), True),
        Column("unite", "Unité", "string", "Vide si la colonne n'a pas d'unité fixe."),
        Column("obligatoire", "Toujours renseignée", "boolean", required=True),
        Column("description", "Description", "string"),
    ),
    primary_key=("fichier", "colonne"),
)


def dictionary_rows(datasets: Iterable[OpenDataTable]) -> Iterator[tuple]:
    """The data dictionary of ``datasets``, one row per column, in DICTIONARY's order."""
    for dataset in datasets:
        for column in dataset.columns:
            yield (
                dataset.name,
                column.name,
                column.title,
                column.type_label,
                column.unit,
                column.required,
                column.description,
            )
