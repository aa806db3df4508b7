"""Spreadsheets built by hand for the import tests: an XLSX whose first sheet is the
given XML (what a damaged or hostile file holds), and the XML of a sheet of rows."""

import io
import zipfile
from xml.sax.saxutils import escape

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def xlsx_with_sheet(sheet_xml: bytes | str, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A workbook written by openpyxl whose first sheet is replaced by ``sheet_xml``."""
    buffer = io.BytesIO()
    Workbook().save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    if isinstance(sheet_xml, str):
        sheet_xml = sheet_xml.encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for part in source.infolist():
            data = sheet_xml if part.filename == SHEET else source.read(part.filename)
            archive.writestr(part.filename, data)
    return out.getvalue()


def cell_xml(reference: str, value) -> str:
    if isinstance(value, int | float):
        return f'<c r="{reference}"><v>{value}</v></c>'
    return f'<c r="{reference}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def row_xml(number: int, values) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    cells = "".join(
        cell_xml(f"{letters[index]}{number}", value)
        for index, value in enumerate(values)
        if value is not None
    )
    return f'<row r="{number}">{cells}</row>'


def sheet_xml(rows: list[str], *, dimension: str | None = None, prolog: str = "") -> str:
    """A sheet of already written ``<row>`` elements."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN}">'
        f"{declared}<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )
