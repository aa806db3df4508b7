"""A signed contract's life: amendments (the only way its targets change), its
completion with a final evaluation, its renewal by a successor."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.life import last_validated, validated_baseline
from contracts.models import (
    Amendment,
    AmendmentChange,
    AmendmentChangeKind,
    Contract,
    ContractStatus,
    Signatory,
    Target,
    three_year_end_dates,
)

# Contracts an amendment can change: signed, not over.
AMENDABLE_STATUSES = (ContractStatus.SIGNED, ContractStatus.ACTIVE)
# Contracts a successor can renew: signed at some point.
RENEWABLE_STATUSES = (
    ContractStatus.SIGNED,
    ContractStatus.ACTIVE,
    ContractStatus.COMPLETED,
    ContractStatus.TERMINATED,
)


@dataclass
class Change:
    """One change an amendment makes. ``change_target``: ``target`` with a new
    ``target_year`` and/or ``target_value``; ``add_target``: ``indicator``, baseline
    (its value pre-filled from the validated value of its year when left out) and
    target; ``remove_target``: ``target``; ``change_end_date``: ``end_date``."""

    kind: str
    target: Target | None = None
    indicator: object = None
    baseline_year: int | None = None
    baseline_value: Decimal | None = None
    target_year: int | None = None
    target_value: Decimal | None = None
    end_date: date | None = None
    errors: list = field(default_factory=list, repr=False)


def _check_value(indicator, value, errors):
    try:
        indicator.check_value(value)
    except ValidationError as exc:
        errors.extend(exc.messages)


def _check_change(contract, change: Change, targets: dict, touched: set) -> list[str]:
    errors = []
    kind = change.kind
    if kind not in AmendmentChangeKind.values:
        return [_("Nature de modification inconnue : %(kind)s.") % {"kind": kind}]
    if kind in (AmendmentChangeKind.CHANGE_TARGET, AmendmentChangeKind.REMOVE_TARGET):
        target = targets.get(getattr(change.target, "pk", change.target))
        if target is None:
            return [_("L'objectif modifié ou retiré doit être un objectif de ce contrat.")]
        if target.pk in touched:
            return [_("Un avenant ne modifie qu'une fois le même objectif.")]
        touched.add(target.pk)
        change.target = target
    if kind == AmendmentChangeKind.CHANGE_TARGET:
        if change.target_year is None and change.target_value is None:
            return [_("Indiquez la nouvelle valeur cible ou la nouvelle année cible.")]
        year = change.target_year or target.target_year
        value = target.target_value if change.target_value is None else change.target_value
        if (year, value) == (target.target_year, target.target_value):
            errors.append(_("La modification ne change ni la valeur ni l'année cible."))
        if year <= target.baseline_year:
            errors.append(_("L'année cible doit être postérieure à l'année de référence."))
        _check_value(target.indicator, value, errors)
        change.target_year, change.target_value = year, value
    elif kind == AmendmentChangeKind.ADD_TARGET:
        if change.indicator is None or None in (
            change.baseline_year,
            change.target_year,
            change.target_value,
        ):
            return [
                _(
                    "Un objectif ajouté doit avoir un indicateur, une année de référence, "
                    "une année et une valeur cibles."
                )
            ]
        if change.baseline_value is None:
            change.baseline_value = validated_baseline(
                contract.territory_id, change.indicator.pk, change.baseline_year
            )
            if change.baseline_value is None:
                return [
                    _(
                        "Pas de valeur validée en %(year)s pour %(indicator)s : indiquez la "
                        "valeur de référence."
                    )
                    % {"year": change.baseline_year, "indicator": change.indicator.name}
                ]
        if change.target_year <= change.baseline_year:
            errors.append(_("L'année cible doit être postérieure à l'année de référence."))
        if any(
            t.indicator_id == change.indicator.pk and t.target_year == change.target_year
            for t in targets.values()
        ):
            errors.append(_("Ce contrat a déjà un objectif pour cet indicateur à cette échéance."))
        _check_value(change.indicator, change.baseline_value, errors)
        _check_value(change.indicator, change.target_value, errors)
    elif kind == AmendmentChangeKind.CHANGE_END_DATE:
        if change.end_date is None:
            return [_("Indiquez la nouvelle date de fin.")]
        if change.end_date <= contract.start_date:
            errors.append(_("La date de fin doit être postérieure à la date de début."))
        if change.end_date == contract.end_date:
            errors.append(_("La nouvelle date de fin est celle du contrat."))
    return errors


def record_amendment(
    contract: Contract,
    by,
    number: int,
    signed_on: date,
    effective_year: int,
    reason: str,
    changes: list[Change],
) -> Amendment:
    """Record an amendment of a signed or active contract and apply its changes to the
    targets (and end date), in one transaction; the targets' former values stay in the
    change rows (``contracts.life.targets_in_force``). Raises ``ValidationError`` with
    every problem found, and saves nothing then."""
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        if contract.status not in AMENDABLE_STATUSES:
            raise ValidationError(
                _("Seul un contrat signé ou en cours peut être modifié par avenant.")
            )
        errors = []
        reason = (reason or "").strip()
        if not reason:
            errors.append(_("Indiquez le motif de l'avenant."))
        if not isinstance(number, int) or number < 1:
            errors.append(_("Le numéro d'un avenant est un entier positif."))
        elif contract.amendments.filter(number=number).exists():
            errors.append(_("Le contrat a déjà un avenant n° %(number)s.") % {"number": number})
        if signed_on is None:
            errors.append(_("Indiquez la date de signature de l'avenant."))
        elif signed_on > timezone.localdate():
            errors.append(_("La date de signature de l'avenant ne peut pas être future."))
        elif contract.signed_on and signed_on < contract.signed_on:
            errors.append(
                _("Un avenant ne peut pas être signé avant le contrat (%(date)s).")
                % {"date": contract.signed_on.strftime("%d/%m/%Y")}
            )
        if not isinstance(effective_year, int) or not (
            contract.start_date.year <= effective_year <= contract.end_date.year
        ):
            errors.append(
                _("L'année d'entrée en vigueur doit être comprise entre %(first)s et %(last)s.")
                % {"first": contract.start_date.year, "last": contract.end_date.year}
            )
        else:
            latest = (
                contract.amendments.order_by("-effective_year")
                .values_list("effective_year", flat=True)
                .first()
            )
            if latest is not None and effective_year < latest:
                errors.append(
                    _("Un avenant prend effet au plus tôt l'année du précédent (%(year)s).")
                    % {"year": latest}
                )
        if not changes:
            errors.append(_("Un avenant modifie au moins un objectif ou la date de fin."))
        targets = {t.pk: t for t in contract.targets.select_related("indicator")}
        touched: set[int] = set()
        ends = [c for c in changes or [] if c.kind == AmendmentChangeKind.CHANGE_END_DATE]
        if len(ends) > 1:
            errors.append(_("Un avenant ne modifie qu'une fois la date de fin."))
        for position, change in enumerate(changes or [], start=1):
            for message in _check_change(contract, change, targets, touched):
                errors.append(
                    _("Modification %(n)s : %(message)s") % {"n": position, "message": message}
                )
        if errors:
            raise ValidationError(errors)

        amendment = Amendment(
            contract=contract,
            number=number,
            signed_on=signed_on,
            effective_year=effective_year,
            reason=reason,
            recorded_by=by,
            recorded_at=timezone.now(),
        )
        amendment._history_user = by
        amendment.save()
        for change in changes:
            _apply(contract, amendment, change, by)
    return amendment


def _apply(contract, amendment, change: Change, by) -> None:
    row = AmendmentChange(amendment=amendment, kind=change.kind)
    target = change.target
    if change.kind == AmendmentChangeKind.CHANGE_END_DATE:
        row.old_end_date, row.new_end_date = contract.end_date, change.end_date
        contract.end_date = change.end_date
        if change.end_date not in three_year_end_dates(contract.start_date):
            contract.duration_override_reason = (
                _("Avenant n° %(number)s : %(reason)s")
                % {"number": amendment.number, "reason": amendment.reason}
            )[:300]
        contract._history_user = by
        contract.save(update_fields=["end_date", "duration_override_reason"])
    elif change.kind == AmendmentChangeKind.ADD_TARGET:
        target = Target(
            contract=contract,
            indicator=change.indicator,
            baseline_year=change.baseline_year,
            baseline_value=change.baseline_value,
            validated_baseline_value=validated_baseline(
                contract.territory_id, change.indicator.pk, change.baseline_year
            ),
            target_year=change.target_year,
            target_value=change.target_value,
        )
        target._history_user = by
        target.save()
        row.new_target_year, row.new_target_value = target.target_year, target.target_value
    else:
        row.old_target_year, row.old_target_value = target.target_year, target.target_value
        if change.kind == AmendmentChangeKind.CHANGE_TARGET:
            target.target_year, target.target_value = change.target_year, change.target_value
            row.new_target_year, row.new_target_value = change.target_year, change.target_value
            target._amending = True
            target._history_user = by
            target.save()
    if target is not None:
        row.target_ref = target.pk
        row.indicator = target.indicator
        row.baseline_year, row.baseline_value = target.baseline_year, target.baseline_value
    row._history_user = by
    row.save()
    if change.kind == AmendmentChangeKind.REMOVE_TARGET:
        target._history_user = by
        target.delete()


def renew_contract(
    contract: Contract, by, reference: str, start_date: date, territory=None
) -> Contract:
    """Create the draft successor of ``contract`` (at most one), on the same territory
    or ``territory`` (a successor territory), for three years from ``start_date``: its
    themes and signatories copied, its targets those in force at the predecessor's end
    to renegotiate — baseline the last validated value of the territory (the former
    baseline without one), target year the successor's last year, target value copied
    from the predecessor (a value is required; staff set the new one before signing)."""
    from contracts.life import targets_in_force

    reference = (reference or "").strip()
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract.pk)
        errors = []
        if contract.status not in RENEWABLE_STATUSES:
            errors.append(_("Seul un contrat signé peut être renouvelé."))
        if Contract.objects.filter(predecessor=contract).exists():
            errors.append(_("Ce contrat a déjà un successeur."))
        if not reference:
            errors.append(_("Indiquez la référence du nouveau contrat."))
        elif Contract.objects.filter(reference=reference).exists():
            errors.append(_("Un contrat porte déjà cette référence."))
        if start_date is None:
            errors.append(_("Indiquez la date de début du nouveau contrat."))
        elif start_date <= contract.start_date:
            errors.append(
                _("Le nouveau contrat doit commencer après le début du précédent (%(date)s).")
                % {"date": contract.start_date.strftime("%d/%m/%Y")}
            )
        if errors:
            raise ValidationError(errors)
        end_date = min(three_year_end_dates(start_date))
        successor = Contract(
            territory=territory or contract.territory,
            reference=reference,
            title=contract.title,
            summary=contract.summary,
            start_date=start_date,
            end_date=end_date,
            predecessor=contract,
            is_demo=contract.is_demo,
        )
        successor.full_clean()
        successor._history_user = by
        successor.save()
        successor.themes.set(contract.themes.all())
        Signatory.objects.bulk_create(
            Signatory(
                contract=successor,
                organisation=s.organisation,
                representative=s.representative,
                role=s.role,
            )
            for s in contract.signatories.all()
        )
        contract = Contract.objects.prefetch_related(
            "targets__indicator", "amendments__changes__indicator"
        ).get(pk=contract.pk)
        latest_of_each = {}  # one target per indicator: the one with the latest year
        for former in targets_in_force(contract, contract.end_date.year):
            latest_of_each[former.indicator_id] = former
        for former in latest_of_each.values():
            latest = last_validated(successor.territory_id, former.indicator_id)
            baseline_year, baseline_value = latest or (former.baseline_year, former.baseline_value)
            target = Target(
                contract=successor,
                indicator=former.indicator,
                baseline_year=baseline_year,
                baseline_value=baseline_value,
                validated_baseline_value=baseline_value if latest else None,
                target_year=max(end_date.year, baseline_year + 1),
                target_value=former.target_value,
                comment=_("À renégocier (objectif du contrat %(ref)s)")
                % {"ref": contract.reference},
            )
            target._history_user = by
            target.save()
    return successor
