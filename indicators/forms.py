"""Forms shared by the apps that enter objectives (a contract's targets, the region's
2050 goals): an objective may be typed as an absolute value or a relative change."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from indicators.models import TargetEntry
from indicators.relative_change import (
    format_relative_change,
    parse_relative_change,
    target_from_relative,
)


class RelativeObjectiveFormMixin(forms.Form):
    """For a model form of an objective with ``baseline_value``, ``target_value``,
    ``entered_as`` and ``relative_change``: a relative change ("−60 %", "÷4") typed
    beside the target value replaces it, and is shown again when the objective is edited."""

    relative_change_text = forms.CharField(
        label=_("ou objectif relatif"),
        required=False,
        help_text=_(
            "Ex. « −60 % », « +30 % » ou « ÷4 » par rapport à la valeur de référence ; remplace la valeur cible."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_value"].required = False
        objective = self.instance
        if (
            objective.pk
            and objective.entered_as != TargetEntry.ABSOLUTE
            and objective.relative_change is not None
        ):
            kind = "divide" if objective.entered_as == TargetEntry.DIVIDE else "percent"
            self.initial["relative_change_text"] = format_relative_change(
                kind, objective.relative_change
            )

    def clean(self):
        """A relative change wins unless the agent typed a new absolute target value
        and left the (pre-filled) relative change as it was."""
        data = super().clean()
        text = data.get("relative_change_text", "").strip()
        typed_absolute = (
            "target_value" in self.changed_data and "relative_change_text" not in self.changed_data
        )
        if text and not typed_absolute:
            try:
                kind, amount = parse_relative_change(text)
                baseline = data.get("baseline_value")
                if baseline is not None:
                    data["target_value"] = target_from_relative(baseline, kind, amount)
            except ValidationError as exc:
                raise ValidationError({"relative_change_text": exc.messages}) from exc
            self.instance.entered_as = (
                TargetEntry.DIVIDE if kind == "divide" else TargetEntry.PERCENT
            )
            self.instance.relative_change = amount
            self.instance.target_value = data.get("target_value")
        elif data.get("target_value") is None:
            self.add_error("target_value", _("Indiquez une valeur cible, ou un objectif relatif."))
        else:
            self.instance.entered_as = TargetEntry.ABSOLUTE
            self.instance.relative_change = None
        return data
