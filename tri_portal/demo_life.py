"""The demo contracts' life after signing: the 2017 contracts completed with their
final evaluation, the later contracts linked to the 2017 contracts they renew, one
later contract amended (an *avenant* effective last year raising a target). All
through the services, deterministic, idempotent."""

from datetime import date, datetime
from decimal import Decimal

from contracts import services
from contracts.models import (
    AmendmentChangeKind,
    Contract,
    FinalEvaluation,
    Verdict,
)
from tri_portal import demo_contracts as data

# The later contract amended in the demo, and by how much its renewable target rises.
AMENDED_KEY = "FOURMIES"
AMENDED_INDICATOR = "cae_3.a"
AMENDED_RISE = Decimal("1.1")


def complete_demo_contract(contract: Contract, by, completed_at: datetime) -> None:
    """Complete ``contract`` with its final evaluation as computed (every verdict kept),
    dated ``completed_at``."""
    proposals = services.proposed_verdicts(contract)
    counts = dict.fromkeys(Verdict.values, 0)
    for _target, end in proposals:
        counts[end.verdict] += 1
    assessment = (
        f"Bilan de démonstration : sur {len(proposals)} objectifs, {counts[Verdict.MET]} "
        f"atteints, {counts[Verdict.PARTLY_MET]} partiellement atteints et "
        f"{counts[Verdict.NOT_MET]} non atteints à la fin du contrat, d'après les valeurs "
        "validées. Le contrat est renouvelé pour trois ans."
    )
    services.complete_contract(
        contract,
        by,
        assessment,
        {target.pk: services.VerdictInput() for target, _end in proposals},
    )
    FinalEvaluation.objects.filter(contract=contract).update(evaluated_at=completed_at)
    Contract.objects.filter(pk=contract.pk).update(status_changed_at=completed_at)


def link_renewals(references: dict[str, str]) -> None:
    """Each later contract that renews a 2017 one gets it as its predecessor
    (``references``: later key → reference, ``demo_contracts.later_references``)."""
    for spec in data.LATER_CONTRACTS:
        if spec.renews and spec.key in references:
            predecessor = Contract.objects.filter(reference=spec.renews).first()
            Contract.objects.filter(
                reference=references[spec.key], predecessor__isnull=True
            ).exclude(pk=getattr(predecessor, "pk", None)).update(predecessor=predecessor)


def amend_demo_contract(reference: str, by, today: date) -> None:
    """Avenant n° 1 of the later Fourmies contract: effective last year, its
    renewable-production target raised by 10 % (once)."""
    contract = Contract.objects.filter(reference=reference).first()
    if (
        contract is None
        or contract.status not in services.AMENDABLE_STATUSES
        or contract.amendments.exists()
    ):
        return
    target = contract.targets.filter(indicator__identifier=AMENDED_INDICATOR).first()
    if target is None:
        return
    last = today.year - 1
    services.record_amendment(
        contract,
        by,
        number=1,
        signed_on=max(contract.signed_on, date(last, 1, 20)),
        effective_year=max(last, contract.start_date.year),
        reason=(
            "Avenant de démonstration : objectif de production renouvelable relevé de 10 % "
            "après la mise en service d'un réseau de chaleur."
        ),
        changes=[
            services.Change(
                AmendmentChangeKind.CHANGE_TARGET,
                target=target,
                target_value=data.quantize(target.target_value * AMENDED_RISE, "0.001"),
            )
        ],
    )


def load_demo_life(by, today: date) -> None:
    references = data.later_references(today)
    link_renewals(references)
    amend_demo_contract(references[AMENDED_KEY], by, today)
