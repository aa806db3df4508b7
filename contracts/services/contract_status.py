"""A contract's status changes (draft → signed → active → completed | terminated)."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.life import computed_verdict, targets_in_force
from contracts.models import (
    Contract,
    ContractStatus,
    FinalEvaluation,
    TargetVerdict,
    Verdict,
)
from contracts.stats import refresh_contract_stats
from indicators.selectors import validated_series

CONTRACT_TRANSITIONS = {
    ContractStatus.SIGNED: {ContractStatus.DRAFT},
    ContractStatus.ACTIVE: {ContractStatus.SIGNED},
    ContractStatus.COMPLETED: {ContractStatus.ACTIVE},
    ContractStatus.TERMINATED: {ContractStatus.SIGNED, ContractStatus.ACTIVE},
}


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _change_contract_status(contract, new_status, by, check=None, after=None, **fields):
    """Change the status in one transaction; ``check(locked)`` returns the errors that
    refuse it, ``after(locked)`` writes what goes with it (same transaction)."""
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.status not in CONTRACT_TRANSITIONS[new_status]:
            raise ValidationError(
                _("Passage impossible de « %(old)s » à « %(new)s » pour le contrat %(ref)s.")
                % {
                    "old": locked.get_status_display(),
                    "new": ContractStatus(new_status).label,
                    "ref": locked.reference,
                }
            )
        if check and (errors := check(locked)):
            raise ValidationError(errors)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.status = new_status
        locked.status_changed_at = timezone.now()
        locked.status_changed_by = by
        locked.full_clean()
        locked._history_user = by
        locked.save()
        if after:
            after(locked)
        refresh_contract_stats([locked.territory_id])
    contract.refresh_from_db()
    return contract


def _check_date(day: date | None, what: str, contract: Contract) -> list[str]:
    """A date of the contract's life: given, not in the future, not after its end."""
    if day is None:
        return [_("Indiquez la date à laquelle le contrat a été %(what)s.") % {"what": what}]
    if day > timezone.localdate():
        return [_("La date (%(date)s) ne peut pas être future.") % {"date": _day(day)}]
    if day > contract.end_date:
        return [
            _("La date (%(date)s) ne peut pas être postérieure à la fin du contrat (%(end)s).")
            % {"date": _day(day), "end": _day(contract.end_date)}
        ]
    return []


def sign_contract(contract: Contract, by, signed_on: date) -> Contract:
    """Sign a draft on the date it was actually signed (required: not today by
    default), once it has signatories, themes and at least one target."""

    def check(locked):
        errors = _check_date(signed_on, _("signé"), locked)
        if not locked.signatories.exists():
            errors.append(_("Un contrat ne peut pas être signé sans signataire."))
        if not locked.themes.exists():
            errors.append(_("Un contrat ne peut pas être signé sans thématique."))
        if not locked.targets.exists():
            errors.append(_("Un contrat ne peut pas être signé sans objectif chiffré."))
        return errors

    return _change_contract_status(
        contract, ContractStatus.SIGNED, by, check=check, signed_on=signed_on
    )


def activate_contract(contract: Contract, by, activated_on: date | None = None) -> Contract:
    """Put a signed contract in progress on ``activated_on`` (today by default: a past
    day records a start that was not entered at the time), not after its end date."""
    day = activated_on or timezone.localdate()

    def check(locked):
        if day > locked.end_date:
            return [
                _("Le contrat a pris fin le %(end)s : il ne peut plus être mis en cours.")
                % {"end": _day(locked.end_date)}
            ]
        if day > timezone.localdate():
            return [_("La date (%(date)s) ne peut pas être future.") % {"date": _day(day)}]
        return []

    return _change_contract_status(contract, ContractStatus.ACTIVE, by, check=check)


def terminate_contract(contract: Contract, by, reason: str, terminated_on: date) -> Contract:
    """End a signed or active contract early, with a reason and the date it ended."""

    def check(locked):
        errors = []
        if not (reason or "").strip():
            errors.append(_("Indiquez le motif de la résiliation."))
        errors += _check_date(terminated_on, _("résilié"), locked)
        if terminated_on and locked.signed_on and terminated_on < locked.signed_on:
            errors.append(
                _("Un contrat ne peut pas être résilié avant sa signature (%(date)s).")
                % {"date": _day(locked.signed_on)}
            )
        return errors

    return _change_contract_status(
        contract,
        ContractStatus.TERMINATED,
        by,
        check=check,
        termination_reason=(reason or "").strip(),
        terminated_on=terminated_on,
    )


@dataclass(frozen=True)
class VerdictInput:
    """Staff's word on one target at the end: ``verdict`` None keeps the computed one;
    a verdict other than the computed one needs a ``comment``."""

    verdict: str | None = None
    comment: str = ""


def proposed_verdicts(contract: Contract) -> list[tuple]:
    """``[(target, EndValue)]``: each target in force at the contract's end with the
    verdict computed from the last validated value up to the end year (what the
    evaluation form is pre-filled with)."""
    contract = Contract.objects.prefetch_related(
        "targets__indicator", "amendments__changes__indicator"
    ).get(pk=contract.pk)
    end_year = contract.end_date.year
    targets = targets_in_force(contract, end_year)
    series = validated_series(contract.territory, {t.indicator for t in targets})
    return [
        (target, computed_verdict(target, end_year, series[target.indicator.identifier]))
        for target in targets
    ]


def complete_contract(
    contract: Contract, by, assessment: str, target_verdicts: dict[int, VerdictInput]
) -> Contract:
    """Complete an active contract with its final evaluation: the written
    ``assessment`` and, for every target in force at its end (by target id), the
    verdict (computed unless staff override it with a comment). Refused without."""
    assessment = (assessment or "").strip()
    proposals = proposed_verdicts(contract)
    target_verdicts = target_verdicts or {}

    def check(locked):
        errors = []
        if not assessment:
            errors.append(
                _("Un contrat ne peut être achevé sans évaluation finale : rédigez le bilan.")
            )
        for target, end in proposals:
            given = target_verdicts.get(target.pk)
            if given is None:
                errors.append(
                    _("Donnez le verdict de l'objectif « %(indicator)s ».")
                    % {"indicator": target.indicator.name}
                )
            elif given.verdict and given.verdict not in Verdict.values:
                errors.append(_("Verdict inconnu : %(verdict)s.") % {"verdict": given.verdict})
            elif (
                given.verdict and given.verdict != end.verdict and not (given.comment or "").strip()
            ):
                errors.append(
                    _(
                        "Objectif « %(indicator)s » : un verdict différent du verdict calculé "
                        "(%(computed)s) doit être commenté."
                    )
                    % {"indicator": target.indicator.name, "computed": Verdict(end.verdict).label}
                )
        if FinalEvaluation.objects.filter(contract=locked).exists():
            errors.append(_("Ce contrat a déjà une évaluation finale."))
        return errors

    def write_evaluation(locked):
        evaluation = FinalEvaluation(
            contract=locked,
            assessment=assessment,
            evaluated_by=by,
            evaluated_at=timezone.now(),
        )
        evaluation._history_user = by
        evaluation.save()
        TargetVerdict.objects.bulk_create(
            TargetVerdict(
                evaluation=evaluation,
                target_id=target.pk if target._state.adding is False else None,
                indicator=target.indicator,
                baseline_year=target.baseline_year,
                baseline_value=target.baseline_value,
                target_year=target.target_year,
                target_value=target.target_value,
                value_year=end.year,
                value=end.value,
                computed_verdict=end.verdict,
                verdict=target_verdicts[target.pk].verdict or end.verdict,
                comment=(target_verdicts[target.pk].comment or "").strip(),
            )
            for target, end in proposals
        )

    return _change_contract_status(
        contract, ContractStatus.COMPLETED, by, check=check, after=write_evaluation
    )
