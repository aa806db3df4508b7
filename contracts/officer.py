"""Read-side of the officer space: what each officer has to report, and the rows
of a progress form."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from contracts import calendar
from contracts.models import (
    REPORTING_STATUSES,
    Contract,
    ProgressReport,
    Target,
)
from indicators import formulas, trajectory
from indicators.models import POPULATION_IDENTIFIER, Indicator, IndicatorValue
from indicators.plausibility import Finding, check_plausibility, relative_change
from indicators.selectors import validated_series


@dataclass
class YearStatus:
    year: int
    deadline: date | None  # None: not due (a baseline year before the start)
    report: ProgressReport | None
    late: bool = False  # past its deadline and not handed in (calendar.is_late)

    @property
    def status(self) -> str:
        """The report's status; without a report, "todo" if due, else "optional"."""
        if self.report:
            return self.report.status
        return "todo" if self.deadline else "optional"


@dataclass
class ContractWork:
    contract: Contract
    years: list[YearStatus]
    current_year: int | None


def officer_contracts(user, today: date) -> list[ContractWork]:
    contracts = list(
        Contract.objects.reportable_by(user)
        .filter(status__in=REPORTING_STATUSES)
        .with_earlier_last_year()
        .select_related("territory")
        .prefetch_related("targets")
        .order_by("territory__name", "start_date")
    )
    reports = {
        (r.contract_id, r.year): r for r in ProgressReport.objects.filter(contract__in=contracts)
    }
    work = []
    for contract in contracts:
        years = []
        for year in calendar.open_years(contract, today):
            due, report = calendar.due_date(contract, year), reports.get((contract.pk, year))
            late = calendar.is_late(due, report.status if report else None, today)
            years.append(YearStatus(year, due, report, late))
        current = calendar.year_to_report(contract, today)
        handed_in = {y.year for y in years if y.report and not y.report.is_editable}
        work.append(ContractWork(contract, years, None if current in handed_in else current))
    return work


@dataclass
class ReportRow:
    indicator: Indicator
    target: Target | None
    expected: Decimal | None
    latest: tuple[int, Decimal] | None
    current: IndicatorValue | None
    computed: Decimal | None = None  # derived indicators
    field_names: dict = field(default_factory=dict)
    previous: tuple[int, Decimal] | None = None  # latest validated (year, value) before
    finding: Finding | None = None  # the reported value is implausible

    @property
    def editable(self) -> bool:
        return not self.indicator.is_derived

    @property
    def reported(self) -> Decimal | None:
        """The value of the report: entered, or computed from its components."""
        if self.indicator.is_derived:
            return self.computed
        return self.current.value if self.current else None

    @property
    def change(self) -> Decimal | None:
        """Relative change (%) from the previous validated value."""
        return relative_change(self.previous[1] if self.previous else None, self.reported)


def _target_for(targets: list[Target], year: int) -> Target | None:
    """The target that applies to ``year``: the nearest horizon not before it."""
    ahead = [t for t in targets if t.target_year >= year]
    if ahead:
        return min(ahead, key=lambda t: t.target_year)
    return max(targets, key=lambda t: t.target_year) if targets else None


def report_rows(contract: Contract, year: int, report: ProgressReport | None) -> list[ReportRow]:
    """One row per indicator the contract targets and per key TRI indicator."""
    targets = list(contract.targets.select_related("indicator"))
    indicators = {t.indicator for t in targets} | set(Indicator.objects.filter(is_key=True))
    indicators = sorted(indicators, key=lambda i: (not i.is_key, i.is_derived, i.identifier))
    series = validated_series(contract.territory, indicators)
    current = {}
    if report is not None:
        current = {v.indicator_id: v for v in report.values.select_related("indicator")}
    entered = {v.indicator.identifier: v.value for v in current.values()}
    rows = []
    for indicator in indicators:
        own = [t for t in targets if t.indicator_id == indicator.pk]
        target = _target_for(own, year)
        expected = None
        if target is not None:
            expected = trajectory.trajectory_value(
                target.baseline_year,
                target.baseline_value,
                target.target_year,
                target.target_value,
                year,
            )
        points = series[indicator.identifier]
        row = ReportRow(
            indicator, target, expected, points[-1] if points else None, current.get(indicator.pk)
        )
        earlier = [point for point in points if point[0] < year]
        row.previous = earlier[-1] if earlier else None
        if indicator.is_derived:
            components = dict(entered)
            if POPULATION_IDENTIFIER in indicator.components:
                components.setdefault(POPULATION_IDENTIFIER, contract.territory.population)
            row.computed = formulas.evaluate(indicator.formula, components)
        elif row.previous and row.current:
            row.finding = check_plausibility(
                indicator, row.previous[1], row.current.value, row.previous[0]
            )
        rows.append(row)
    return rows
