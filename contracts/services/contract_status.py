"""A contract's status changes (draft → signed → active → completed | terminated)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.models import Contract, ContractStatus
from contracts.stats import refresh_contract_stats

CONTRACT_TRANSITIONS = {
    ContractStatus.SIGNED: {ContractStatus.DRAFT},
    ContractStatus.ACTIVE: {ContractStatus.SIGNED},
    ContractStatus.COMPLETED: {ContractStatus.ACTIVE},
    ContractStatus.TERMINATED: {ContractStatus.SIGNED, ContractStatus.ACTIVE},
}


def _change_contract_status(contract, new_status, by, **fields) -> Contract:
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
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.status = new_status
        locked.status_changed_at = timezone.now()
        locked.status_changed_by = by
        locked.full_clean()
        locked._history_user = by
        locked.save()
        refresh_contract_stats([locked.territory_id])
    contract.refresh_from_db()
    return contract


def sign_contract(contract: Contract, by, signed_on: date | None = None) -> Contract:
    return _change_contract_status(
        contract, ContractStatus.SIGNED, by, signed_on=signed_on or timezone.localdate()
    )


def activate_contract(contract: Contract, by) -> Contract:
    return _change_contract_status(contract, ContractStatus.ACTIVE, by)


def complete_contract(contract: Contract, by) -> Contract:
    return _change_contract_status(contract, ContractStatus.COMPLETED, by)


def terminate_contract(contract: Contract, by, reason: str) -> Contract:
    if not (reason or "").strip():
        raise ValidationError(_("Indiquez le motif de la résiliation."))
    return _change_contract_status(
        contract, ContractStatus.TERMINATED, by, termination_reason=reason.strip()
    )
