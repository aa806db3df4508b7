"""The part of the progress form that tells what was done (one block per *fiche action*
and the overall comment), and the evidence upload form. Checked by the same rules as
the API and the import (``services.check_action_entry``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from contracts import services
from contracts.models import (
    MAX_EVIDENCE_BYTES,
    MAX_NARRATIVE,
    MAX_REPORT_COMMENT,
    ActionStatus,
    ActionUpdate,
)

# The officer's words for the action statuses in a report (« prévue » reads « pas
# commencée » once the year has started).
REPORT_ACTION_STATUS_CHOICES = [
    (ActionStatus.PLANNED, _("pas commencée")),
    (ActionStatus.IN_PROGRESS, _("en cours")),
    (ActionStatus.DONE, _("réalisée")),
    (ActionStatus.ABANDONED, _("abandonnée")),
]


class ReportStoryForm(forms.Form):
    """For each action of the contract: status, progress (%), money spent (€), narrative;
    and the report's overall comment. Field names are prefixed ``action-<id>-``."""

    def __init__(self, contract, report, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.contract = contract
        self.actions = list(contract.actions.select_related("theme"))
        current = {}
        if report is not None:
            current = {u.action_id: u for u in ActionUpdate.objects.filter(report=report)}
        self.current = current
        self.fields["comment"] = forms.CharField(
            label=_("Commentaire général sur l'année"),
            required=False,
            max_length=MAX_REPORT_COMMENT,
            initial=report.comment if report else "",
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("Public une fois le rapport validé."),
        )
        for action in self.actions:
            update = current.get(action.pk)
            prefix = f"action-{action.pk}-"
            self.fields[prefix + "status"] = forms.ChoiceField(
                label=_("État"),
                required=False,
                choices=REPORT_ACTION_STATUS_CHOICES,
                initial=update.status if update else action.status,
            )
            self.fields[prefix + "progress"] = forms.CharField(
                label=_("Avancement (%)"),
                required=False,
                max_length=20,
                initial=update.progress if update else "",
            )
            self.fields[prefix + "spent"] = forms.CharField(
                label=_("Dépenses de l'année (€)"),
                required=False,
                max_length=20,
                initial=_amount(update.spent) if update else "",
            )
            self.fields[prefix + "narrative"] = forms.CharField(
                label=_("Ce qui a été fait"),
                help_text=_("%(max)s caractères au plus.") % {"max": MAX_NARRATIVE},
                required=False,
                initial=update.narrative if update else "",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def blocks(self):
        """(action, its bound fields by name, its saved update or None), for the template."""
        names = ("status", "progress", "spent", "narrative")
        for action in self.actions:
            fields = {name: self[f"action-{action.pk}-{name}"] for name in names}
            yield action, fields, self.current.get(action.pk)

    def _entry(self, action, data) -> services.ActionEntry:
        prefix = f"action-{action.pk}-"
        return services.ActionEntry(
            action=action,
            status=data.get(prefix + "status") or ActionStatus.PLANNED,
            progress=data.get(prefix + "progress"),
            spent=data.get(prefix + "spent"),
            narrative=data.get(prefix + "narrative", ""),
        )

    def _posted(self, action) -> bool:
        """A form posted without an action's block (an older page, a script) leaves
        that action's update as it is."""
        return f"action-{action.pk}-status" in self.data

    def clean(self):
        data = super().clean()
        for action in filter(self._posted, self.actions):
            _fields, errors = services.check_action_entry(
                self._entry(action, data), self.contract.pk
            )
            for name, messages in errors.items():
                field = f"action-{action.pk}-{name}"
                if field in self.fields and field not in self.errors:
                    self.add_error(field, messages)
        return data

    def entries(self) -> list[services.ActionEntry]:
        return [
            self._entry(action, self.cleaned_data) for action in filter(self._posted, self.actions)
        ]

    @property
    def comment(self) -> str | None:
        """None (left as it is) when the form was posted without it."""
        return self.cleaned_data.get("comment", "") if "comment" in self.data else None

    def add_service_errors(self, error) -> None:
        """Errors of save_report_story are keyed by action id (or ``comment``)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            field = "comment" if key == "comment" else f"action-{key}-status"
            self.add_error(field if field in self.fields else None, messages)


def _amount(value) -> str:
    return "" if value is None else format(value.normalize(), "f").replace(".", ",")


class EvidenceForm(forms.Form):
    title = forms.CharField(
        label=_("Titre de la pièce"),
        max_length=200,
        required=False,
        help_text=_("Par défaut, le nom du fichier."),
    )
    file = forms.FileField(
        label=_("Fichier"),
        help_text=_(
            "PDF, tableur (XLSX, ODS, CSV) ou image (PNG, JPEG), %(max)s Mo au plus ; "
            "le format est vérifié sur le contenu du fichier."
        )
        % {"max": MAX_EVIDENCE_BYTES // (1024 * 1024)},
    )
