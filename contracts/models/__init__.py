"""The contracts' models, one module per part (contracts, documents, targets, reports,
figures); every public name is re-exported here: ``from contracts.models import
Contract`` is the way to import them (migrations included)."""

from contracts.models.contracts import (
    CONTRACT_YEARS,
    COVERING_STATUSES,
    ENDED_STATUSES,
    PUBLIC_STATUSES,
    REPORTING_STATUSES,
    Action,
    ActionStatus,
    Contract,
    ContractQuerySet,
    ContractStatus,
    ContractTheme,
    Signatory,
    add_years,
    assigned_territories,
    three_year_end_dates,
)
from contracts.models.documents import (
    DOCUMENT_TYPES,
    MAX_DOCUMENT_BYTES,
    MAX_DOWNLOAD_NAME,
    OPAQUE_TYPE,
    ContractDocument,
    ContractDocumentQuerySet,
    validate_document_size,
)
from contracts.models.effort import EFFORT_FIXED_HORIZON, EffortHorizon, EffortShare
from contracts.models.reports import (
    EDITABLE_REPORT_STATUSES,
    HANDED_IN_REPORT_STATUSES,
    ProgressReport,
    ProgressReportQuerySet,
    ReportStatus,
)
from contracts.models.stats import ContractStats
from contracts.models.targets import Target, TargetEntry

__all__ = [
    "CONTRACT_YEARS",
    "COVERING_STATUSES",
    "DOCUMENT_TYPES",
    "EDITABLE_REPORT_STATUSES",
    "EFFORT_FIXED_HORIZON",
    "ENDED_STATUSES",
    "HANDED_IN_REPORT_STATUSES",
    "MAX_DOCUMENT_BYTES",
    "MAX_DOWNLOAD_NAME",
    "OPAQUE_TYPE",
    "PUBLIC_STATUSES",
    "REPORTING_STATUSES",
    "Action",
    "ActionStatus",
    "Contract",
    "ContractDocument",
    "ContractDocumentQuerySet",
    "ContractQuerySet",
    "ContractStats",
    "ContractStatus",
    "ContractTheme",
    "EffortHorizon",
    "EffortShare",
    "ProgressReport",
    "ProgressReportQuerySet",
    "ReportStatus",
    "Signatory",
    "Target",
    "TargetEntry",
    "add_years",
    "assigned_territories",
    "three_year_end_dates",
    "validate_document_size",
]
