"""Officer space: bulk import of indicator values from a spreadsheet (thin views over
``contracts.imports``)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView

from contracts import import_templates, imports


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Fichier CSV ou XLSX"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Une ligne d'en-tête puis une ligne par valeur, colonnes dans cet ordre : "
            "%(columns)s. CSV en UTF-8 (séparateur « ; » ou « , ») ou classeur XLSX, "
            "%(size)s Mo et %(rows)s lignes de données au plus."
        ) % {
            "columns": ", ".join(imports.COLUMNS),
            "size": imports.MAX_IMPORT_BYTES // (1024 * 1024),
            "rows": number_format(imports.MAX_IMPORT_ROWS, force_grouping=True),
        }


class ImportView(LoginRequiredMixin, FormView):
    template_name = "contracts/import.html"
    form_class = ImportForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        result = kwargs.get("result")
        row_errors = [(line, message) for line, message in result.errors if line] if result else []
        context.update(
            result=result,
            row_errors=row_errors,
            error_count=len(result.errors) if result else len(form.errors.get("file", [])),
            max_megabytes=imports.MAX_IMPORT_BYTES // (1024 * 1024),
            max_rows=imports.MAX_IMPORT_ROWS,
            max_lines=imports.MAX_IMPORT_LINES,
            max_unpacked_megabytes=imports.MAX_XLSX_UNPACKED // (1024 * 1024),
            columns=imports.COLUMNS,
        )
        return context

    def form_valid(self, form):
        result = imports.import_values(form.cleaned_data["file"], self.request.user)
        if result.errors:
            for line, message in result.errors:
                if line is None:
                    form.add_error("file", message)
            return self.render_to_response(self.get_context_data(form=form, result=result))
        messages.success(
            self.request,
            _(
                "%(values)s valeur(s) importée(s) dans %(reports)s rapport(s) en brouillon : "
                "vérifiez-les puis soumettez chaque rapport."
            )
            % {
                "values": number_format(result.rows, force_grouping=True),
                "reports": number_format(len(result.reports), force_grouping=True),
            },
        )
        if result.actions:
            messages.success(
                self.request,
                _("%(count)s point(s) d'étape de fiches action importé(s).")
                % {"count": number_format(result.actions, force_grouping=True)},
            )
        for warning in result.warnings:
            messages.warning(self.request, warning)
        return redirect("officer:dashboard")


class TemplateDownloadView(LoginRequiredMixin, View):
    """The spreadsheet to fill: header and example rows for the user's contracts."""

    def get(self, request, fmt):
        if fmt not in import_templates.TEMPLATE_FORMATS:
            raise Http404
        build, content_type = import_templates.TEMPLATE_FORMATS[fmt]
        response = HttpResponse(build(request.user), content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="{import_templates.TEMPLATE_FILENAME}.{fmt}"'
        )
        return response
