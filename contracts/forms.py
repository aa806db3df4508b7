from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from contracts import services


class ProgressForm(forms.Form):
    """Value, source and comment for each editable indicator of a progress report.

    Numbers are read in French (``1 234,5``) or English (``1234.5``) notation and
    checked against the indicator's bounds; derived indicators have no field."""

    def __init__(self, rows, *args, version=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        # The report version the officer is editing: a report saved by someone else in
        # the meantime is not overwritten (services.check_version).
        self.fields["version"] = forms.IntegerField(
            widget=forms.HiddenInput, required=False, min_value=0, initial=version
        )
        for row in rows:
            if not row.editable:
                continue
            key = row.indicator.pk
            current = row.current
            row.field_names = {
                "value": f"valeur-{key}",
                "source": f"source-{key}",
                "comment": f"commentaire-{key}",
                "justification": f"justification-{key}",
            }
            self.fields[f"valeur-{key}"] = forms.CharField(
                label=_("%(name)s (%(unit)s)")
                % {"name": row.indicator.name, "unit": row.indicator.unit},
                required=False,
                max_length=40,
                initial=_format_initial(current.value) if current else "",
            )
            self.fields[f"source-{key}"] = forms.CharField(
                label=_("Source"),
                required=False,
                max_length=300,
                initial=current.source if current else "",
            )
            self.fields[f"commentaire-{key}"] = forms.CharField(
                label=_("Commentaire"),
                required=False,
                max_length=2000,
                initial=current.comment if current else "",
                widget=forms.TextInput,
            )
            self.fields[f"justification-{key}"] = forms.CharField(
                label=_("Justification de la variation — %(name)s") % {"name": row.indicator.name},
                required=False,
                max_length=2000,
                initial=current.justification if current else "",
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def bound_rows(self):
        """Rows with their bound fields, for the template."""
        for row in self.rows:
            fields = {name: self[f] for name, f in row.field_names.items()} if row.editable else {}
            yield row, fields

    def clean(self):
        data = super().clean()
        for row in self.rows:
            if not row.editable:
                continue
            name = row.field_names["value"]
            raw = (data.get(name) or "").strip()
            if raw:
                try:
                    data[name] = row.indicator.check_value(raw)
                except ValidationError as exc:
                    self.add_error(name, exc)
        return data

    def entries(self) -> list[services.ReportedValue]:
        entries = []
        for row in self.rows:
            if not row.editable:
                continue
            value = self.cleaned_data.get(row.field_names["value"])
            value = None if value in (None, "") else value  # 0 is a value, not a blank
            if value is None and not row.current:
                continue
            entries.append(
                services.ReportedValue(
                    indicator=row.indicator,
                    value=value,
                    source=self.cleaned_data.get(row.field_names["source"], ""),
                    comment=self.cleaned_data.get(row.field_names["comment"], ""),
                    justification=self.cleaned_data.get(row.field_names["justification"], ""),
                )
            )
        return entries

    @property
    def expected_version(self) -> int | None:
        return self.cleaned_data.get("version")

    def add_service_errors(self, error: ValidationError) -> None:
        """Errors of save_report_values are keyed by indicator identifier."""
        by_identifier = {row.indicator.identifier: row for row in self.rows if row.editable}
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for identifier, errors in error.error_dict.items():
            row = by_identifier.get(identifier)
            for one in errors:
                field = None
                if row:
                    justify = one.code == services.JUSTIFICATION_REQUIRED
                    field = row.field_names["justification" if justify else "value"]
                self.add_error(field, one)


def _format_initial(value) -> str:
    text = format(value.normalize(), "f") if value is not None else ""
    return text.replace(".", ",")


class ValidateForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "Je confirme avoir vérifié les valeurs de ce rapport : leur validation les publie."
        ),
        error_messages={"required": _("Cochez la case de confirmation pour valider le rapport.")},
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du rejet"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Le référent le verra : dites ce qu'il doit corriger."),
    )


class CorrectionForm(forms.Form):
    value = forms.CharField(label=_("Valeur corrigée"), max_length=40)
    reason = forms.CharField(
        label=_("Motif de la correction"),
        max_length=300,
        help_text=_("Conservé dans l'historique de la valeur."),
    )

    def __init__(self, indicator, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.indicator = indicator
        self.fields["value"].label = _("Valeur corrigée (%(unit)s)") % {"unit": indicator.unit}

    def clean_value(self):
        return self.indicator.check_value(self.cleaned_data["value"])
