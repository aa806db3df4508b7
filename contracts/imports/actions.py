"""The « Actions » sheet of an imported XLSX workbook: one line per *fiche action* and
report year (status, progress, money spent, narrative), checked by the same rules as the
form and the API (``services.check_action_entry``) and written with the values, in the
import's transaction. A CSV carries values only."""

import io
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from contracts import services
from contracts.calendar import check_report_year
from contracts.imports.reading import MAX_IMPORT_ROWS, ImportFileError, _cell_text
from contracts.models import REPORTING_STATUSES, Action, ActionStatus, Contract

ACTION_SHEET = "Actions"
ACTION_COLUMNS = [
    "contrat",
    "annee",
    "fiche_action",
    "intitule",
    "etat",
    "avancement",
    "depenses",
    "recit",
]
FORMULA = "\x00formule"
# What the « etat » column accepts: the codes, and the words of the form.
_STATUS_WORDS = {
    "pas commencee": ActionStatus.PLANNED,
    "prevue": ActionStatus.PLANNED,
    "en cours": ActionStatus.IN_PROGRESS,
    "realisee": ActionStatus.DONE,
    "abandonnee": ActionStatus.ABANDONED,
} | {code: code for code in ActionStatus.values}


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", (text or "").strip().lower())
    return "".join(c for c in text if not unicodedata.combining(c)).replace("_", " ")


def is_action_sheet(title: str) -> bool:
    return _plain(title) == _plain(ACTION_SHEET)


def read_action_sheet(content: bytes) -> list[tuple[int, list[str]]] | None:
    """(line, cells) of the non-blank lines of the « Actions » sheet, header first; None
    without such a sheet. The archive was checked when the values sheet was read."""
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception as exc:  # read once already: only a race on the upload gets here
        raise ImportFileError(_("feuille « Actions » illisible.")) from exc
    try:
        sheet = next((s for s in workbook.worksheets if is_action_sheet(s.title)), None)
        if sheet is None:
            return None
        sheet.reset_dimensions()
        lines = []
        for line, cells in enumerate(
            sheet.iter_rows(min_row=1, max_col=len(ACTION_COLUMNS)), start=1
        ):
            if any(cell.data_type == "f" for cell in cells):
                lines.append((line, [FORMULA]))  # refused by check_action_rows
                continue
            texts = [_cell_text(cell.value) for cell in cells]
            if any(texts):
                lines.append((line, texts))
            if len(lines) > MAX_IMPORT_ROWS + 1:
                raise ImportFileError(_("feuille « Actions » : trop de lignes."))
        return lines
    finally:
        workbook.close()


def _error(line: int, message: str) -> str:
    return _("feuille « Actions », ligne %(line)s : %(message)s") % {
        "line": line,
        "message": message,
    }


def check_action_rows(
    lines: list[tuple[int, list[str]]], user
) -> tuple[dict[tuple[Contract, int], list[services.ActionEntry]], list[str]]:
    """The entries by (contract, year), and every problem (French, with its line)."""
    errors: list[str] = []
    if not lines:
        return {}, []
    (header_line, header), rows = lines[0], lines[1:]
    found = [_plain(cell).replace(" ", "_") for cell in header]
    while found and not found[-1]:
        found.pop()
    if found != ACTION_COLUMNS:
        return {}, [
            _error(
                header_line,
                _("en-tête attendu « %(expected)s », trouvé « %(found)s ».")
                % {"expected": ";".join(ACTION_COLUMNS), "found": ";".join(found)},
            )
        ]
    references = {cells[0] for _line, cells in rows if cells}
    contracts = (
        Contract.objects.reportable_by(user)
        .filter(status__in=REPORTING_STATUSES, reference__in=references)
        .with_earlier_last_year()
        .in_bulk(field_name="reference")
    )
    action_ids = {int(c[2]) for _l, c in rows if len(c) > 2 and str(c[2]).isdigit()}
    actions = Action.objects.filter(contract__in=contracts.values()).in_bulk(action_ids)
    entries: dict[tuple[Contract, int], list[services.ActionEntry]] = {}
    for line, cells in rows:
        cells = [*cells, *[""] * (len(ACTION_COLUMNS) - len(cells))]
        if cells[0] == FORMULA:
            errors.append(_error(line, _("formule : saisissez les valeurs.")))
            continue
        reference, year, action_id, _title, status, progress, spent, narrative = cells[:8]
        contract = contracts.get(reference)
        if contract is None:
            errors.append(
                _error(
                    line,
                    _("contrat « %(ref)s » inconnu ou hors de votre périmètre.")
                    % {"ref": reference},
                )
            )
            continue
        try:
            year = int(year)
            check_report_year(contract, year)
        except (ValueError, ValidationError) as exc:
            message = exc.messages[0] if isinstance(exc, ValidationError) else _("année invalide.")
            errors.append(_error(line, message))
            continue
        action = actions.get(int(action_id)) if str(action_id).isdigit() else None
        if action is None or action.contract_id != contract.pk:
            errors.append(
                _error(
                    line, _("fiche action « %(id)s » inconnue pour ce contrat.") % {"id": action_id}
                )
            )
            continue
        status = _STATUS_WORDS.get(_plain(status), status)
        if status == action.status and not (str(progress) or str(spent) or narrative):
            continue  # a line of the template left as it came: nothing reported
        entry = services.ActionEntry(
            action=action,
            status=status,
            progress=progress,
            spent=spent,
            narrative=narrative,
        )
        _fields, problems = services.check_action_entry(entry, contract.pk)
        for messages in problems.values():
            errors.extend(_error(line, message) for message in messages)
        if not problems:
            entries.setdefault((contract, year), []).append(entry)
    return entries, errors


def write_action_entries(entries, user) -> None:
    """In the import's transaction: each report's updates (a report not opened yet is
    created as a draft); a ValidationError (a report no longer editable) undoes all."""
    for (contract, year), report_entries in entries.items():
        report = services.open_report(contract, year, user)
        services.save_report_story(report, report_entries, user)
