"""State changes of contracts and progress reports. Each is one transaction, checks
the current state, records who did it, and is the only way to make that change
(admin actions, officer forms and the API all call these functions).

One module per concern — a contract's status (``contract_status``), its amendments
and renewal (``life``), targets entered
as relative changes (``targets``), the report workflow (``reports``), corrections of
published values (``corrections``), what a reviewer checks (``review``: four eyes,
plausibility) — every public name re-exported here: callers
write ``from contracts import services`` and ``services.validate_report(…)``."""

from contracts.calendar import check_report_year
from contracts.services.contract_status import (
    CONTRACT_TRANSITIONS,
    VerdictInput,
    activate_contract,
    complete_contract,
    proposed_verdicts,
    sign_contract,
    terminate_contract,
)
from contracts.services.corrections import correct_validated_value
from contracts.services.life import (
    AMENDABLE_STATUSES,
    RENEWABLE_STATUSES,
    Change,
    record_amendment,
    renew_contract,
)
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
    reports_edited_by,
    validation_refusal,
    value_findings,
)
from contracts.services.story import (
    ActionEntry,
    add_evidence,
    check_action_entry,
    delete_evidence,
    parse_amount,
    publish_action_statuses,
    save_report_story,
)
from contracts.services.targets import (
    format_relative_change,
    parse_relative_change,
    target_from_relative,
)

__all__ = [
    "AMENDABLE_STATUSES",
    "CONTRACT_TRANSITIONS",
    "FOUR_EYES",
    "JUSTIFICATION_REQUIRED",
    "RENEWABLE_STATUSES",
    "VERSION_BATCH",
    "ActionEntry",
    "Change",
    "ReportedValue",
    "VerdictInput",
    "activate_contract",
    "add_evidence",
    "bump_report_versions",
    "check_action_entry",
    "check_report_year",
    "check_version",
    "complete_contract",
    "correct_validated_value",
    "delete_evidence",
    "format_relative_change",
    "notify_on_commit",
    "open_report",
    "open_report_created",
    "parse_amount",
    "parse_relative_change",
    "previous_points",
    "proposed_verdicts",
    "publish_action_statuses",
    "record_amendment",
    "reject_report",
    "renew_contract",
    "report_editors",
    "reports_edited_by",
    "save_report_story",
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
