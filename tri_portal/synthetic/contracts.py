"""The synthetic contracts: three-year contracts for a share of the EPCIs and communes
(some communes inside a contracted EPCI: nested contracts), with their signatories,
targets and progress reports (completed contracts: validated reports; active ones: the
last year's report submitted, waiting for validation)."""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from contracts.models import (
    Contract,
    ContractStatus,
    ProgressReport,
    ReportStatus,
    Signatory,
    Target,
    TargetEntry,
)
from indicators.models import Indicator
from territories.models import Territory, TerritoryClosure, TerritoryKind
from tri_portal.synthetic.series import seeded_random

REFERENCE_PREFIX = "SYN-"
EPCI_SHARE = 0.10  # share of EPCIs with a contract
COMMUNE_SHARE = 0.01  # share of communes with a contract
NESTED_SHARE = 0.3  # share of contracted EPCIs with a contracted commune inside
TARGET_INDICATORS = ["cae_2.a", "cae_1.a", "cae_3.a"]


def choose_contract_territories(seed: int, territories: list[Territory]) -> list[Territory]:
    rng = seeded_random(seed, "contracts")
    epcis = [t for t in territories if t.kind == TerritoryKind.EPCI]
    communes = [t for t in territories if t.kind == TerritoryKind.COMMUNE]
    chosen_epcis = rng.sample(epcis, max(1, round(len(epcis) * EPCI_SHARE))) if epcis else []
    chosen = chosen_epcis + rng.sample(communes, max(1, round(len(communes) * COMMUNE_SHARE)))
    nested = rng.sample(chosen_epcis, round(len(chosen_epcis) * NESTED_SHARE + 0.5))
    members: dict[int, int] = {}  # EPCI → its first commune (by code)
    for epci_id, commune_id in (
        TerritoryClosure.objects.filter(ancestor__in=nested, descendant__kind=TerritoryKind.COMMUNE)
        .order_by("ancestor_id", "descendant__code")
        .values_list("ancestor_id", "descendant_id")
    ):
        members.setdefault(epci_id, commune_id)
    by_id = {t.pk: t for t in communes}
    taken = {t.pk for t in chosen}
    for commune_id in members.values():
        if commune_id in by_id and commune_id not in taken:
            chosen.append(by_id[commune_id])
            taken.add(commune_id)
    return sorted(chosen, key=lambda t: (t.kind, t.code))


@dataclass
class Plan:
    """Contract periods and report statuses by year."""

    last_year: int

    def periods(self, years: list[int]) -> list[tuple[int, str]]:
        """(first year, status) of the contracts of one territory."""
        found = [(self.last_year - 1, ContractStatus.ACTIVE)]
        if self.last_year - 4 >= years[0]:
            found.insert(0, (self.last_year - 4, ContractStatus.COMPLETED))
        return found

    def report_status(self, year: int) -> str:
        return ReportStatus.SUBMITTED if year == self.last_year else ReportStatus.VALIDATED


def create_contracts(territories, years, plan: Plan, user, values_of) -> dict:
    """Contracts, signatories, targets and reports; returns {(territory id, year): report}."""
    now = timezone.now()
    contracts = []
    for territory in territories:
        for first, status in plan.periods(years):
            contracts.append(
                Contract(
                    territory=territory,
                    reference=f"{REFERENCE_PREFIX}{territory.kind[:3].upper()}-{territory.code}-{first}",
                    title=f"Contrat d'objectifs TRI {first}-{first + 2} — {territory.name}",
                    summary="Contrat synthétique pour les mesures de performance.",
                    status=status,
                    signed_on=date(first - 1, 12, 1),
                    start_date=date(first, 1, 1),
                    end_date=date(first + 2, 12, 31),
                    status_changed_at=now,
                    status_changed_by=user,
                    is_demo=True,
                )
            )
    bulk_create_with_history(contracts, Contract, batch_size=1000, default_user=user)
    contracts = list(Contract.objects.filter(reference__startswith=REFERENCE_PREFIX))
    indicators = Indicator.objects.in_bulk(TARGET_INDICATORS, field_name="identifier")
    signatories, targets, reports = [], [], []
    for contract in contracts:
        for organisation in ("ADEME Hauts-de-France", "Conseil régional", contract.territory.name):
            signatories.append(Signatory(contract=contract, organisation=organisation[:200]))
        first = contract.start_date.year
        baseline_year = max(years[0], first - 3)
        series = values_of(contract.territory)
        for identifier in TARGET_INDICATORS:
            baseline = series[identifier].get(baseline_year, Decimal(0))
            change = Decimal("1.5") if identifier == "cae_3.a" else Decimal("0.85")
            targets.append(
                Target(
                    contract=contract,
                    indicator=indicators[identifier],
                    baseline_year=baseline_year,
                    baseline_value=baseline,
                    target_year=first + 2,
                    target_value=(baseline * change).quantize(Decimal("0.001")),
                    entered_as=TargetEntry.PERCENT,
                    relative_change=(change - 1) * 100,
                )
            )
        for year in range(first, first + 3):
            if year in years and year <= plan.last_year:
                status = plan.report_status(year)
                at = timezone.make_aware(datetime.combine(date(year + 1, 3, 1), time(12)))
                reports.append(
                    ProgressReport(
                        contract=contract,
                        year=year,
                        status=status,
                        submitted_at=at,
                        submitted_by=user,
                        reviewed_at=at if status == ReportStatus.VALIDATED else None,
                        reviewed_by=user if status == ReportStatus.VALIDATED else None,
                        version=2,
                    )
                )
    Signatory.objects.bulk_create(signatories, batch_size=2000)
    bulk_create_with_history(targets, Target, batch_size=2000, default_user=user)
    bulk_create_with_history(reports, ProgressReport, batch_size=2000, default_user=user)
    saved = ProgressReport.objects.filter(contract__reference__startswith=REFERENCE_PREFIX)
    return {(r.contract.territory_id, r.year): r for r in saved.select_related("contract")}
