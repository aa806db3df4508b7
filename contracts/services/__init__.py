"""State changes of contracts and progress reports. Each is one transaction, checks
the current state, records who did it, and is the only way to make that change
(admin actions, officer forms and the API all call these functions).

One module per concern — a contract's status (``contract_status``), targets entered
as relative changes (``targets``), the report workflow (``reports``), corrections of
published values (``corrections``), what a reviewer checks (``review``: four eyes,
plausibility) — every public name re-exported here: callers
write ``from contracts import services`` and ``services.validate_report(…)``."""

from contracts.calendar import check_report_year
from contracts.services.contract_status import (
    CONTRACT_TRANSITIONS,
    activate_contract,
    complete_contract,
    sign_contract,
    terminate_contract,
)
from contracts.services.corrections import correct_validated_value
from contracts.services.reports import (
    VERSION_BATCH,
    ReportedValue,
    bump_report_versions,
    check_version,
    notify_on_commit,
    open_report,
    open_report_created,
    reject_report,
    save_report_values,
    submit_report,
    validate_report,
    withdraw_report,
)
from contracts.services.review import (
    FOUR_EYES,
    JUSTIFICATION_REQUIRED,
    previous_points,
    report_editors,
    validation_refusal,
    value_findings,
)
from contracts.services.targets import (
    format_relative_change,
    parse_relative_change,
    target_from_relative,
)

__all__ = [
    "CONTRACT_TRANSITIONS",
    "FOUR_EYES",
    "JUSTIFICATION_REQUIRED",
    "VERSION_BATCH",
    "ReportedValue",
    "activate_contract",
    "bump_report_versions",
    "check_report_year",
    "check_version",
    "complete_contract",
    "correct_validated_value",
    "format_relative_change",
    "notify_on_commit",
    "open_report",
    "open_report_created",
    "parse_relative_change",
    "previous_points",
    "reject_report",
    "report_editors",
    "save_report_values",
    "sign_contract",
    "submit_report",
    "target_from_relative",
    "terminate_contract",
    "validate_report",
    "validation_refusal",
    "value_findings",
    "withdraw_report",
]
