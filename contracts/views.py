"""Officer space (référents) and the staff review pages: thin views over the
selectors in contracts.officer and the services in contracts.services."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from contracts import calendar, services
from contracts.forms import CorrectionForm, ProgressForm, RejectForm, ValidateForm
from contracts.models import REPORTING_STATUSES, Contract, ProgressReport, ReportStatus
from contracts.officer import officer_contracts, report_rows
from contracts.selectors import targets_short_of_path
from contracts.story import action_blocks
from contracts.story_forms import EvidenceForm, ReportStoryForm
from indicators.models import IndicatorValue, ValueStatus
from indicators.plausibility import format_change


@method_decorator(login_required, name="dispatch")
class OfficerDashboardView(TemplateView):
    template_name = "contracts/officer_dashboard.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        return super().get_context_data(**kwargs, work=officer_contracts(self.request.user, today))


@method_decorator(login_required, name="dispatch")
class ReportView(View):
    """The progress form of one contract and year: save a draft, or submit."""

    template_name = "contracts/report_form.html"

    def get_contract(self, contract_id, year):
        contract = get_object_or_404(
            Contract.objects.reportable_by(self.request.user)
            .filter(status__in=REPORTING_STATUSES)
            .select_related("territory"),
            pk=contract_id,
        )
        if year not in calendar.open_years(contract, timezone.localdate()):
            raise Http404
        return contract

    def render_form(self, contract, year, report, form, status=200, story_form=None):
        context = {
            "contract": contract,
            "year": year,
            "report": report,
            "form": form,
            "deadline": calendar.due_date(contract, year),
            "editable": report is None or report.is_editable,
            # What was done (action updates, comment, evidence): contracts.story_forms.
            "story_form": story_form or ReportStoryForm(contract, report),
            "evidence": report.evidence.all() if report else [],
            "evidence_form": EvidenceForm(),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, contract_id, year):
        contract = self.get_contract(contract_id, year)
        report = ProgressReport.objects.filter(contract=contract, year=year).first()
        form = ProgressForm(
            report_rows(contract, year, report),
            # A report not created yet starts at version 0 (open_report creates it so).
            version=report.version if report else 0,
        )
        return self.render_form(contract, year, report, form)

    def post(self, request, contract_id, year):
        contract = self.get_contract(contract_id, year)
        report = ProgressReport.objects.filter(contract=contract, year=year).first()
        submitting = "submit" in request.POST
        if report is not None and not report.is_editable:
            if submitting and report.status == ReportStatus.SUBMITTED:
                messages.info(request, _("Ce rapport est déjà soumis : rien n'a changé."))
            else:
                messages.error(
                    request,
                    _("Le rapport %(year)s est « %(status)s » : il n'est plus modifiable.")
                    % {"year": year, "status": report.get_status_display()},
                )
            return redirect("officer:report", contract.pk, year)
        form = ProgressForm(report_rows(contract, year, report), request.POST)
        story_form = ReportStoryForm(contract, report, request.POST)
        if not all([form.is_valid(), story_form.is_valid()]):
            return self.render_form(contract, year, report, form, 400, story_form)
        try:
            with transaction.atomic():
                report = services.open_report(contract, year, request.user)
                services.save_report_values(
                    report, form.entries(), request.user, expected_version=form.expected_version
                )
                if story_form.entries() or story_form.comment is not None:
                    try:
                        services.save_report_story(
                            report, story_form.entries(), request.user, comment=story_form.comment
                        )
                    except ValidationError as exc:
                        story_form.add_service_errors(exc)
                        raise
                if submitting:
                    services.submit_report(report, request.user)
        except ValidationError as exc:
            if not story_form.errors:
                form.add_service_errors(exc)
            return self.render_form(contract, year, report, form, 400, story_form)
        if submitting:
            messages.success(
                request, _("Rapport soumis : les agents de la Région vont l'examiner.")
            )
            return redirect("officer:dashboard")
        messages.success(request, _("Brouillon enregistré."))
        return redirect("officer:report", contract.pk, year)


@method_decorator(login_required, name="dispatch")
class WithdrawReportView(View):
    """Take a submitted report back before review (confirmation page, then POST)."""

    template_name = "contracts/withdraw_report.html"

    def get_report(self, pk):
        return get_object_or_404(
            ProgressReport.objects.visible_to(self.request.user).select_related(
                "contract__territory"
            ),
            pk=pk,
        )

    def get(self, request, pk):
        return render(request, self.template_name, {"report": self.get_report(pk)})

    def post(self, request, pk):
        report = self.get_report(pk)
        try:
            services.withdraw_report(report, request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Rapport retiré : il est de nouveau en brouillon."))
        return redirect("officer:report", report.contract_id, report.year)


@method_decorator(staff_member_required, name="dispatch")
class StaffReportQueueView(TemplateView):
    template_name = "contracts/staff_report_queue.html"

    def get_context_data(self, **kwargs):
        reports = list(
            ProgressReport.objects.filter(status=ReportStatus.SUBMITTED)
            .select_related("contract__territory", "submitted_by")
            .order_by("submitted_at")
        )
        # Four eyes: those this agent entered or submitted wait for another agent.
        mine = services.reports_edited_by(reports, self.request.user)
        return super().get_context_data(**kwargs, reports=reports, mine=mine)


@method_decorator(staff_member_required, name="dispatch")
class StaffAlignmentView(TemplateView):
    """Targets of public contracts below the regional 2050 path, largest gap first (per
    indicator: the gaps are in its unit), to prepare the next contracts."""

    template_name = "contracts/staff_alignment.html"
    page_size = 100

    def get_context_data(self, **kwargs):
        page = Paginator(targets_short_of_path(), self.page_size).get_page(
            self.request.GET.get("page")
        )
        return super().get_context_data(**kwargs, page=page)


@method_decorator(staff_member_required, name="dispatch")
class StaffReportView(View):
    """A submitted report side by side with last year and the targets: validate or reject."""

    template_name = "contracts/staff_report.html"

    def render_page(self, report, reject_form, validate_form=None, status=200):
        rows = report_rows(report.contract, report.year, report)
        context = {
            "report": report,
            "rows": [(row, format_change(row.change)) for row in rows],
            "reject_form": reject_form,
            # What was done (contracts.story): action updates, comment, evidence.
            "action_blocks": action_blocks(report),
            "evidence": report.evidence.all(),
            "validate_form": validate_form or ValidateForm(),
            "refusal": services.validation_refusal(report, self.request.user),
        }
        return render(self.request, self.template_name, context, status=status)

    def get_report(self, pk):
        return get_object_or_404(
            ProgressReport.objects.select_related("contract__territory", "submitted_by"), pk=pk
        )

    def get(self, request, pk):
        return self.render_page(self.get_report(pk), RejectForm())

    def post(self, request, pk):
        report = self.get_report(pk)
        action = request.POST.get("action")
        reject_form = RejectForm(request.POST if action == "reject" else None)
        validate_form = ValidateForm(request.POST if action == "validate" else None)
        try:
            if action == "validate":
                if not validate_form.is_valid():
                    return self.render_page(report, reject_form, validate_form, status=400)
                services.validate_report(report, request.user)
                messages.success(request, _("Rapport validé : ses valeurs sont publiées."))
            elif action == "reject":
                if not reject_form.is_valid():
                    return self.render_page(report, reject_form, status=400)
                services.reject_report(report, request.user, reject_form.cleaned_data["reason"])
                messages.success(request, _("Rapport rejeté : le référent est prévenu."))
            else:
                return self.render_page(report, reject_form, status=400)
        except ValidationError as exc:
            if services.FOUR_EYES in {e.code for e in getattr(exc, "error_list", [])}:
                # Four eyes: refused, the page says why (the validate button is disabled).
                return self.render_page(report, reject_form, status=403)
            messages.error(request, " ".join(exc.messages))
            return redirect("staff_report", report.pk)
        return redirect("staff_reports")


@method_decorator(staff_member_required, name="dispatch")
class CorrectValueView(View):
    template_name = "contracts/correct_value.html"

    def get_value(self, pk):
        return get_object_or_404(
            IndicatorValue.objects.select_related("indicator", "territory").filter(
                status=ValueStatus.VALIDATED
            ),
            pk=pk,
        )

    def get(self, request, pk):
        value = self.get_value(pk)
        form = CorrectionForm(value.indicator)
        return render(request, self.template_name, {"value": value, "form": form})

    def post(self, request, pk):
        value = self.get_value(pk)
        form = CorrectionForm(value.indicator, request.POST)
        if form.is_valid():
            try:
                services.correct_validated_value(
                    value, form.cleaned_data["value"], form.cleaned_data["reason"], request.user
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Valeur corrigée ; les agrégats seront recalculés."))
                return redirect("admin:indicators_indicatorvalue_change", value.pk)
        return render(request, self.template_name, {"value": value, "form": form}, status=400)
