"""The demo's history reads like the past it tells: a 2015 report was opened, submitted
and validated in 2016, a contract signed in 2017 was signed on its signing date — not
all on the day the demo was loaded."""

from datetime import date

from django.utils import timezone

from contracts.models import Contract, ContractStatus, ProgressReport, ReportStatus
from indicators.models import IndicatorValue, ValueStatus
from tri_portal.demo_contracts import END


def _local_day(moment) -> date:
    return timezone.localtime(moment).date()


def test_each_demo_report_was_worked_on_in_the_spring_after_its_year(demo):
    """The 2017 contracts (the later ones: tests/tri_portal/test_demo_active_contracts.py)."""
    today = timezone.localdate()
    reports = ProgressReport.objects.filter(contract__is_demo=True, contract__end_date__lte=END)
    assert reports.exists()
    for report in reports:
        history = report.history.all()
        assert {entry.status for entry in history} >= {
            ReportStatus.SUBMITTED,
            ReportStatus.VALIDATED,
        }
        for entry in history:
            day = _local_day(entry.history_date)
            assert day.year == min(report.year + 1, today.year), (report, entry.status, day)
            assert day <= today
        assert _local_day(report.submitted_at) <= _local_day(report.reviewed_at) <= today
        assert _local_day(report.reviewed_at).year == min(report.year + 1, today.year)


def test_demo_values_were_validated_with_their_report(demo):
    values = IndicatorValue.objects.filter(
        report__contract__is_demo=True, status=ValueStatus.VALIDATED
    )
    assert values.exists()
    for value in values.select_related("report"):
        assert _local_day(value.validated_at) == _local_day(value.report.reviewed_at)
        for entry in value.history.all():
            assert _local_day(entry.history_date).year == _local_day(value.validated_at).year


def test_demo_contracts_changed_status_on_their_own_dates(demo):
    for contract in Contract.objects.filter(is_demo=True):
        dates = {entry.status: _local_day(entry.history_date) for entry in contract.history.all()}
        assert dates[ContractStatus.SIGNED] == contract.signed_on
        assert dates[ContractStatus.ACTIVE] == contract.start_date
        if contract.status == ContractStatus.COMPLETED:
            assert dates[ContractStatus.COMPLETED] == contract.end_date
        assert dates[ContractStatus.DRAFT] <= contract.signed_on
