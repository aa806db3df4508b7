"""Staff forms of a contract's life: sign, terminate, renew, record an amendment, write
the final evaluation. They parse input; the services decide."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contracts.models import AmendmentChangeKind, Verdict
from contracts.services import Change, VerdictInput
from indicators.models import Indicator
from territories.models import Territory, TerritoryKind


class DateInput(forms.DateInput):
    input_type = "date"


def _date(label, **kwargs):
    return forms.DateField(label=label, widget=DateInput(attrs={"class": "form-control"}), **kwargs)


def _text(label, **kwargs):
    return forms.CharField(
        label=label, widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}), **kwargs
    )


def _number(field_class, label, **kwargs):
    return field_class(
        label=label, widget=forms.NumberInput(attrs={"class": "form-control"}), **kwargs
    )


class SignForm(forms.Form):
    signed_on = _date(_("Date de signature"), help_text=_("Le jour où le contrat a été signé."))


class TerminateForm(forms.Form):
    reason = _text(_("Motif de la résiliation"), max_length=300)
    terminated_on = _date(_("Date de la résiliation"))


class RenewForm(forms.Form):
    reference = forms.CharField(
        label=_("Référence du nouveau contrat"),
        max_length=50,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    start_date = _date(_("Début du nouveau contrat"))
    territory = forms.CharField(
        label=_("Territoire du nouveau contrat (facultatif)"),
        required=False,
        max_length=9,
        help_text=_(
            "Vide : le même territoire. Sinon, le SIREN (ou le code INSEE d'une commune) "
            "du territoire qui lui succède (fusion d'EPCI…)."
        ),
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )

    def clean_territory(self):
        code = self.cleaned_data["territory"].strip()
        if not code:
            return None
        found = Territory.objects.filter(
            Q(siren=code) | Q(kind=TerritoryKind.COMMUNE, code=code)
        ).first()
        if found is None:
            raise forms.ValidationError(
                _("Aucun territoire de SIREN ou de code INSEE « %(code)s ».") % {"code": code}
            )
        return found


class AmendmentForm(forms.Form):
    number = _number(forms.IntegerField, _("Numéro de l'avenant"), min_value=1)
    signed_on = _date(_("Signé le"))
    effective_year = _number(
        forms.IntegerField,
        _("En vigueur à partir de l'année"),
        help_text=_("Les années antérieures gardent les objectifs d'avant l'avenant."),
    )
    reason = _text(_("Motif"))


class ChangeForm(forms.Form):
    """One change of an amendment; a row left without a nature is ignored."""

    kind = forms.ChoiceField(
        label=_("Nature"),
        choices=[("", "—"), *AmendmentChangeKind.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    target = forms.ModelChoiceField(
        label=_("Objectif modifié ou retiré"),
        queryset=None,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    indicator = forms.ModelChoiceField(
        label=_("Indicateur (objectif ajouté)"),
        queryset=Indicator.objects.order_by("identifier"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    baseline_year = _number(forms.IntegerField, _("Année de référence"), required=False)
    baseline_value = _number(
        forms.DecimalField,
        _("Valeur de référence"),
        required=False,
        help_text=_("Laissée vide : la valeur validée de l'année de référence."),
    )
    target_year = _number(forms.IntegerField, _("Année cible"), required=False)
    target_value = _number(forms.DecimalField, _("Valeur cible"), required=False)
    end_date = _date(_("Nouvelle date de fin"), required=False)

    def __init__(self, *args, targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = targets

    def change(self) -> Change | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        return Change(
            kind=data["kind"],
            target=data.get("target"),
            indicator=data.get("indicator"),
            baseline_year=data.get("baseline_year"),
            baseline_value=data.get("baseline_value"),
            target_year=data.get("target_year"),
            target_value=data.get("target_value"),
            end_date=data.get("end_date"),
        )


class BaseChangeFormSet(forms.BaseFormSet):
    def __init__(self, *args, targets=None, **kwargs):
        self.targets = targets
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "targets": self.targets}

    def changes(self) -> list[Change]:
        return [change for form in self.forms if (change := form.change()) is not None]


ChangeFormSet = forms.formset_factory(ChangeForm, formset=BaseChangeFormSet, extra=3, max_num=10)


class EvaluationForm(forms.Form):
    """The final evaluation: the written assessment, and per target in force at the end
    the verdict (pre-filled with the computed one) and a comment."""

    assessment = _text(_("Bilan écrit"))

    def __init__(self, proposals, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for target, end in proposals:
            verdict = forms.ChoiceField(
                label=_("Verdict"),
                choices=Verdict.choices,
                initial=end.verdict,
                widget=forms.Select(attrs={"class": "form-select"}),
            )
            comment = forms.CharField(
                label=_("Commentaire (obligatoire si le verdict change)"),
                required=False,
                widget=forms.TextInput(attrs={"class": "form-control"}),
            )
            self.fields[f"verdict_{target.pk}"] = verdict
            self.fields[f"comment_{target.pk}"] = comment
            self.rows.append(
                (target, end, self[f"verdict_{target.pk}"], self[f"comment_{target.pk}"])
            )

    def verdicts(self) -> dict[int, VerdictInput]:
        return {
            target.pk: VerdictInput(
                self.cleaned_data[f"verdict_{target.pk}"],
                self.cleaned_data[f"comment_{target.pk}"],
            )
            for target, _end, _verdict, _comment in self.rows
        }
