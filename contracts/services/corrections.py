"""Staff corrections of published (validated) values. A correction by someone who took
no part in the value (neither entered, submitted nor validated it) is a second pair of
eyes; otherwise the value is marked *self-corrected*, in its history and wherever it
is published (« valeur corrigée le … »)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from contracts.services.review import report_editors
from indicators.models import IndicatorValue, ValueStatus
from indicators.services import schedule_recompute


@transaction.atomic
def correct_validated_value(value: IndicatorValue, new_value, reason: str, by) -> IndicatorValue:
    """Staff only: correct a published value in place, with a reason kept in its
    history; the aggregates above it are recomputed like after a validation."""
    if not getattr(by, "is_staff", False):
        raise ValidationError(
            _("Seuls les agents de la Région et de l'ADEME corrigent une valeur validée.")
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Indiquez le motif de la correction.")]})
    locked = IndicatorValue.objects.select_for_update().get(pk=value.pk)
    if locked.status != ValueStatus.VALIDATED:
        raise ValidationError(_("Seule une valeur validée se corrige ainsi."))
    try:
        number = locked.indicator.check_value(new_value)
    except ValidationError as exc:
        raise ValidationError({"value": exc.messages}) from exc
    involved = {locked.validated_by_id, locked.corrected_by_id}
    if locked.report_id:
        involved |= report_editors(locked.report)
    now = timezone.now()
    locked.value = number
    locked.corrected_at = now
    locked.corrected_by = by
    locked.self_corrected = by.pk in involved
    locked.validated_by = by
    locked.validated_at = now
    locked._history_user = by
    # The history row carries the reason and the self_corrected mark.
    locked._change_reason = reason.strip()[:100]
    locked.comment = "\n".join(
        filter(None, [locked.comment, _("Correction : %s") % reason.strip()])
    )
    locked.full_clean()
    locked.save()
    schedule_recompute([locked], replaced={(locked.territory_id, locked.indicator_id, locked.year)})
    value.refresh_from_db()
    return value
