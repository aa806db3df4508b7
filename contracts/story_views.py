"""Evidence files of a progress report: upload and delete (officers, while the report
is editable), download (whoever may see the report: staff and the territory's
officers — anyone else gets a 404, as if the file did not exist)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View

from contracts import services
from contracts.models import EvidenceFile, ProgressReport
from contracts.story_forms import EvidenceForm
from contracts.views import ReportView
from kit.files import stored_file_download


@method_decorator(login_required, name="dispatch")
class EvidenceUploadView(View):
    def post(self, request, contract_id, year):
        contract = ReportView(request=request).get_contract(contract_id, year)
        form = EvidenceForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                with transaction.atomic():  # a refused file opens no report
                    report = services.open_report(contract, year, request.user)
                    evidence = services.add_evidence(
                        report, form.cleaned_data["file"], form.cleaned_data["title"], request.user
                    )
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                messages.success(
                    request, _("Pièce « %(title)s » jointe au rapport.") % {"title": evidence}
                )
                return redirect("officer:report", contract.pk, year)
        # The report page shows the refusal (the values being typed are in another form).
        for message in (m for messages_ in form.errors.values() for m in messages_):
            messages.error(request, _("Pièce refusée : %(reason)s") % {"reason": message})
        return redirect("officer:report", contract.pk, year)


def _visible_evidence(user, report_id, pk):
    return get_object_or_404(
        EvidenceFile.objects.filter(
            report__in=ProgressReport.objects.visible_to(user)
        ).select_related("report"),
        report_id=report_id,
        pk=pk,
    )


@method_decorator(login_required, name="dispatch")
class EvidenceDeleteView(View):
    def post(self, request, report_id, pk):
        evidence = _visible_evidence(request.user, report_id, pk)
        report = evidence.report
        try:
            services.delete_evidence(evidence, request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Pièce « %(title)s » retirée.") % {"title": evidence})
        return redirect("officer:report", report.contract_id, report.year)


@method_decorator(login_required, name="dispatch")
class EvidenceDownloadView(View):
    """The file, as a download a browser does not render; the login page for anonymous
    visitors, 404 outside the report's scope or when the stored file is missing."""

    def get(self, request, report_id, pk):
        evidence = _visible_evidence(request.user, report_id, pk)
        response = stored_file_download(
            evidence.file, evidence.download_name, evidence.content_type
        )
        response["Cache-Control"] = "private, no-store"
        return response
