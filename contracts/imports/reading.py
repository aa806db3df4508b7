"""Reading the spreadsheet an officer uploads to import values (``contracts.imports``):
a CSV (UTF-8, « ; » or « , » separated) or the first sheet of an XLSX workbook, as
numbered lines of cells under a checked header.

A small file must not tie up a worker. The upload is at most 5 MB; lines are read
one at a time, blank ones skipped without being kept, and reading stops at the line
limits. An XLSX is checked before openpyxl opens it: the size of its parts once
decompressed, their compression ratio, then their XML scanned without being built
(cells in all, cells in one row, elements, and no DTD: an XLSX has none, entities are
what XML bombs are made of); then only the columns the import uses are read, whatever
size the sheet declares. A CSV is read strictly: a quote never closed is an error at
the line where it opens, not the rest of the file swallowed into one cell.

Any problem with the file as a whole raises ImportFileError with a French message."""

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from xml.parsers import expat

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

COLUMNS = [
    "code_territoire",
    "indicateur",
    "annee",
    "valeur",
    "unite",
    "source",
    "commentaire",
    "justification",
]
# Files made before the justification column still import (it is the last one).
LEGACY_COLUMNS = COLUMNS[:-1]
MAX_IMPORT_BYTES = 5 * 1024 * 1024  # the uploaded file
MAX_IMPORT_ROWS = 20_000  # data rows under the header (the B5 bench imports 10 000)
MAX_IMPORT_LINES = 2 * MAX_IMPORT_ROWS  # lines read, blank ones included
MAX_CELL = MAX_IMPORT_BYTES  # a CSV cell can be as long as the file (checked per line later)
MAX_XLSX_UNPACKED = 50 * 1024 * 1024  # the parts of an XLSX once decompressed
MAX_XLSX_RATIO = 100  # decompressed / compressed size of a part (spreadsheets: 3 to 20)
RATIO_CHECKED_FROM = 1024 * 1024  # (smaller parts compress as they please)
MAX_XLSX_CELLS = 20 * MAX_IMPORT_ROWS  # cells of all the sheets (the import needs 7 a row)
MAX_XLSX_ROW_CELLS = 1_000  # cells in one row
MAX_XLSX_ELEMENTS = 4 * MAX_XLSX_CELLS  # XML elements of all the parts (a cell is 2 or 3)
MAX_XLSX_COLUMNS = 50  # columns read from a sheet: cells further right are not read


class ImportFileError(Exception):
    """The file as a whole cannot be read (too big, wrong format, empty…)."""


@dataclass
class Table:
    rows: list[tuple[int, list[str]]]  # (line number in the file, cells) of non-blank data rows
    width: int | None = None  # cells of a CSV header: a longer row is misaligned
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    content: bytes | None = None  # an XLSX workbook's bytes (its « Actions » sheet)


# --- Messages -----------------------------------------------------------------------


def _number(value: int) -> str:
    return number_format(value, force_grouping=True)


def _too_big_message() -> str:
    return _("le fichier dépasse %(size)s Mo : découpez-le en plusieurs fichiers.") % {
        "size": MAX_IMPORT_BYTES // (1024 * 1024)
    }


def _too_many_lines_message() -> str:
    return _(
        "le fichier dépasse %(rows)s lignes de données (%(lines)s lignes en comptant les "
        "lignes vides) : découpez-le en plusieurs fichiers."
    ) % {"rows": _number(MAX_IMPORT_ROWS), "lines": _number(MAX_IMPORT_LINES)}


def _not_xlsx_message() -> str:
    return _("ce fichier n'est pas un classeur XLSX valide.")


# --- Lines of the file --------------------------------------------------------------


def _normalise_header(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("\ufeff", "").strip().casefold())
    return "".join(char for char in text if not unicodedata.combining(char))


def _cell_text(value) -> str:
    """A cell as text: integral floats lose their ``.0`` (Excel stores numbers as floats)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_content(file) -> bytes:
    size = getattr(file, "size", None)
    if size is not None and size > MAX_IMPORT_BYTES:
        raise ImportFileError(_too_big_message())
    if hasattr(file, "seek"):
        file.seek(0)
    content = file.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        raise ImportFileError(_too_big_message())
    if not content.strip():
        raise ImportFileError(_("le fichier est vide."))
    return content


def _csv_lines(content: bytes) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, its cells), one record at a time."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _(
                "ce fichier n'est pas un CSV en UTF-8 : enregistrez-le au format « CSV UTF-8 » "
                "depuis votre tableur, ou envoyez un fichier XLSX."
            )
        ) from exc
    if "\x00" in text:
        raise ImportFileError(_("ce fichier n'est pas un fichier CSV (contenu binaire)."))
    first_line = text.lstrip().split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    csv.field_size_limit(MAX_CELL)
    # strict: a quote left open (at the end of the file too) or text after a closing
    # quote is an error, never the following lines read into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for cells in reader:
            yield start, [cell.strip() for cell in cells]
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError(
            _(
                "CSV illisible vers la ligne %(line)s : guillemet non fermé (ou texte après un "
                "guillemet fermant), ou cellule trop longue ?"
            )
            % {"line": start}
        ) from exc


class _XmlScan:
    """Counts the cells and elements of an XLSX's XML parts as expat reads them (one
    callback per start tag, nothing built) and stops at the first limit crossed."""

    def __init__(self):
        self.cells = self.row_cells = self.elements = 0

    def read(self, stream) -> None:
        parser = expat.ParserCreate()
        parser.StartElementHandler = self.start
        parser.StartDoctypeDeclHandler = self.doctype
        parser.ParseFile(stream)

    def doctype(self, *args) -> None:
        raise ImportFileError(_not_xlsx_message())

    def start(self, name: str, attributes) -> None:
        self.elements += 1
        if self.elements > MAX_XLSX_ELEMENTS:
            raise ImportFileError(
                _(
                    "le classeur XLSX contient plus de %(count)s éléments : enregistrez seulement "
                    "les lignes à importer, sans mise en forme, ou envoyez un CSV."
                )
                % {"count": _number(MAX_XLSX_ELEMENTS)}
            )
        tag = name.rpartition(":")[2]
        if tag == "row":
            self.row_cells = 0
        elif tag == "c":
            self.cells += 1
            self.row_cells += 1
            if self.cells > MAX_XLSX_CELLS:
                raise ImportFileError(
                    _(
                        "le classeur XLSX contient plus de %(count)s cellules : ne gardez que les "
                        "lignes à importer (%(rows)s au plus) ou découpez-le en plusieurs fichiers."
                    )
                    % {"count": _number(MAX_XLSX_CELLS), "rows": _number(MAX_IMPORT_ROWS)}
                )
            if self.row_cells > MAX_XLSX_ROW_CELLS:
                raise ImportFileError(
                    _(
                        "une ligne du classeur XLSX contient plus de %(count)s cellules : ne gardez "
                        "que les %(columns)s colonnes à importer."
                    )
                    % {"count": _number(MAX_XLSX_ROW_CELLS), "columns": len(COLUMNS)}
                )


def _check_xlsx_archive(content: bytes) -> None:
    """What openpyxl would decompress and parse stays within the limits."""
    if not content.startswith(b"PK\x03\x04"):
        raise ImportFileError(_not_xlsx_message())
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
            # A part's declared size bounds what zipfile decompresses from it.
            if sum(part.file_size for part in parts) > MAX_XLSX_UNPACKED:
                raise ImportFileError(
                    _(
                        "le classeur XLSX dépasse %(size)s Mo une fois décompressé : "
                        "découpez-le en plusieurs fichiers."
                    )
                    % {"size": MAX_XLSX_UNPACKED // (1024 * 1024)}
                )
            for part in parts:
                if part.file_size > max(RATIO_CHECKED_FROM, MAX_XLSX_RATIO * part.compress_size):
                    raise ImportFileError(
                        _(
                            "le classeur XLSX est anormalement compressé (une partie fait plus de "
                            "%(ratio)s fois sa taille une fois décompressée) : enregistrez-le à "
                            "nouveau depuis votre tableur, ou envoyez un CSV."
                        )
                        % {"ratio": MAX_XLSX_RATIO}
                    )
            scan = _XmlScan()
            for part in parts:
                if part.filename.endswith((".xml", ".rels")):
                    with archive.open(part) as stream:
                        scan.read(stream)
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged archive or XML: zipfile and expat raise many kinds
        raise ImportFileError(_not_xlsx_message()) from exc


def _xlsx_lines(content: bytes, table: Table) -> Iterator[tuple[int, list[str | None]]]:
    """(line, cells) of the first sheet, one row at a time; a formula cell is None,
    with its error in ``table.errors``."""
    _check_xlsx_archive(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        sheets = workbook.worksheets
    except Exception as exc:  # openpyxl raises many kinds of errors on a damaged file
        raise ImportFileError(_not_xlsx_message()) from exc
    try:
        if not sheets:
            raise ImportFileError(_("le classeur ne contient aucune feuille."))
        sheet = sheets[0]
        # The « Actions » sheet (contracts.imports.actions) is read apart.
        others = [s for s in sheets[1:] if s.title.strip().lower() != "actions"]
        if others:
            table.warnings.append(
                _(
                    "le fichier contient %(count)s feuilles : seule la première (« %(name)s ») a été lue"
                )
                % {"count": len(sheets), "name": sheet.title}
            )
        # The size a sheet declares is not trusted: rows are read as the file has them
        # (no phantom rows up to a declared last row), at most MAX_XLSX_COLUMNS wide.
        declared = sheet.max_column or MAX_XLSX_COLUMNS
        width = min(max(declared, len(COLUMNS) + 1), MAX_XLSX_COLUMNS)
        sheet.reset_dimensions()
        rows = sheet.iter_rows(min_row=1, max_col=width)
        line = 0
        while True:
            try:
                cells = next(rows, None)
            except Exception as exc:  # truncated XML, a cell openpyxl cannot convert…
                raise ImportFileError(
                    _(
                        "ce fichier n'est pas un classeur XLSX valide : feuille illisible "
                        "après la ligne %(line)s."
                    )
                    % {"line": line}
                ) from exc
            if cells is None:
                return
            line += 1
            texts = []
            for column, cell in enumerate(cells, start=1):
                if cell.data_type == "f":
                    table.errors.append(
                        (
                            line,
                            _("formule : saisissez la valeur (cellule %(cell)s)")
                            % {"cell": f"{get_column_letter(column)}{line}"},
                        )
                    )
                    texts.append(None)
                    continue
                texts.append(_cell_text(cell.value))
            yield line, texts
    finally:
        workbook.close()


# --- The table ----------------------------------------------------------------------


def _blank(cells) -> bool:
    return all(cell == "" for cell in cells)


def _check_header(cells) -> None:
    header = [_normalise_header(cell or "") for cell in cells]
    while header and header[-1] == "":
        header.pop()
    if header not in (COLUMNS, LEGACY_COLUMNS):
        raise ImportFileError(
            _("ligne 1 : en-tête attendu « %(expected)s », trouvé « %(found)s ».")
            % {"expected": ";".join(COLUMNS), "found": ";".join(header)}
        )


def read_table(file) -> Table:
    """The data rows of ``file`` under its checked header; raises ImportFileError."""
    name = (getattr(file, "name", "") or "").lower()
    if not name.endswith((".csv", ".xlsx")):
        raise ImportFileError(
            _("format non reconnu : envoyez un fichier .csv (UTF-8) ou .xlsx (Excel, LibreOffice).")
        )
    content = _read_content(file)
    table = Table(rows=[])
    xlsx = name.endswith(".xlsx")
    header = None
    with closing(_xlsx_lines(content, table) if xlsx else _csv_lines(content)) as lines:
        for count, (line, cells) in enumerate(lines, start=1):
            if count > MAX_IMPORT_LINES:
                raise ImportFileError(_too_many_lines_message())
            if header is None:
                header = cells
                if not _blank(header):
                    _check_header(header)
            elif not _blank(cells):  # a formula cell (None) is not blank
                if _blank(header):
                    _check_header(header)  # data under a blank first line: no header
                if len(table.rows) == MAX_IMPORT_ROWS:
                    raise ImportFileError(_too_many_lines_message())
                table.rows.append((line, cells))
    if header is None or (_blank(header) and not table.rows):
        raise ImportFileError(_("le fichier est vide."))
    if xlsx:
        table.content = content
    else:
        table.width = len(header)  # a checked header: the columns, maybe empty cells after
    if not table.rows:
        raise ImportFileError(_("le fichier ne contient aucune ligne de données sous l'en-tête."))
    return table
