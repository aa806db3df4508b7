"""Which yearly progress reports are late (the years and deadlines: contracts.calendar)."""

from dataclasses import dataclass
from datetime import date

from contracts import calendar
from contracts.models import (
    REPORTING_STATUSES,
    Contract,
    ProgressReport,
    ReportStatus,
)


@dataclass
class LateReport:
    contract: Contract
    year: int
    deadline: date
    status: str | None  # the report's status, None when not even started

    @property
    def status_label(self) -> str | None:
        """The status as people read it (« brouillon », « rejeté »)."""
        return ReportStatus(self.status).label if self.status else None


def late_reports(today: date) -> list[LateReport]:
    """Years of signed, active or completed TRI contracts whose report is past its
    deadline and neither submitted nor validated."""
    contracts = list(
        Contract.objects.filter(status__in=REPORTING_STATUSES)
        .with_earlier_last_year()
        .select_related("territory")
        .order_by("territory__name")
    )
    statuses = {
        (contract_id, year): status
        for contract_id, year, status in ProgressReport.objects.filter(
            contract__in=contracts
        ).values_list("contract_id", "year", "status")
    }
    late = []
    for contract in contracts:
        for year in calendar.due_years(contract):
            due = calendar.deadline(year)
            status = statuses.get((contract.pk, year))
            if calendar.is_late(due, status, today):
                late.append(LateReport(contract, year, due, status))
    return late
