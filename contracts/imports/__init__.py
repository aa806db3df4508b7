"""Bulk import of indicator values from a spreadsheet (CSV or XLSX) into the draft
progress reports of the contracts an officer reports for.

All or nothing: every row is checked first and every problem is reported with the
line number the user sees in the file; if there is a single error nothing is
written. Otherwise all values land in their draft reports in one transaction,
written in bulk (a 10 000-row file imports in seconds), with their history; each
report written counts one version, as a save through the form or the API does.

``import_values`` is the use case; its three parts are modules of this package:
``reading`` (the file, its format and its limits), ``checking`` (each row against
the database) and ``writing`` (the transaction). The names callers use are
re-exported here: ``from contracts.imports import COLUMNS, import_values``."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contracts.imports.actions import (
    ACTION_COLUMNS,
    ACTION_SHEET,
    check_action_rows,
    read_action_sheet,
    write_action_entries,
)
from contracts.imports.checking import _Checker, _rows, _unjustified
from contracts.imports.reading import (
    COLUMNS,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_LINES,
    MAX_IMPORT_ROWS,
    MAX_XLSX_UNPACKED,
    ImportFileError,
    Table,
    read_table,
)
from contracts.imports.writing import _Conflict, _write
from contracts.models import ProgressReport

__all__ = [
    "ACTION_COLUMNS",
    "ACTION_SHEET",
    "COLUMNS",
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_LINES",
    "MAX_IMPORT_ROWS",
    "MAX_XLSX_UNPACKED",
    "ImportFileError",
    "ImportResult",
    "Table",
    "import_values",
    "read_table",
]


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
    actions: int = 0  # action updates of the « Actions » sheet written

    @property
    def ok(self) -> bool:
        return not self.errors


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
    rows = _rows(table, result.errors, result.warnings)
    if not rows and not result.errors:
        result.errors.append(
            (None, _("aucune valeur à importer : la colonne « valeur » est vide."))
        )
        return result
    checker = _Checker(rows, user)
    result.errors.extend(checker.errors)
    action_entries = {}
    if table.content is not None:  # an XLSX: its « Actions » sheet, if any
        action_entries, action_errors = check_action_rows(
            read_action_sheet(table.content) or [], user
        )
        result.errors.extend((None, message) for message in action_errors)
    if result.errors:
        result.errors.sort(key=lambda error: error[0] or 0)
        return result
    try:
        with transaction.atomic():
            written = _write(checker.checked, user)
            write_action_entries(action_entries, user)
    except _Conflict as conflict:
        result.errors.extend(conflict.errors)
    except ValidationError as exc:  # a report of the Actions sheet no longer editable
        result.errors.extend((None, message) for message in exc.messages)
    except IntegrityError:
        result.errors.append(
            (None, _("un autre enregistrement a eu lieu en même temps : réessayez l'import."))
        )
    else:
        result.rows = len(checker.checked)
        result.created = written.created
        result.updated = written.updated
        result.reports = written.reports
        result.actions = sum(len(entries) for entries in action_entries.values())
        result.warnings.extend(_unjustified(checker.checked))
    return result
