"""Staff pages of a contract's life (/gestion/contrats/<pk>/): sign, put in progress,
terminate, renew, record an amendment, complete with the final evaluation. Thin: the
forms parse, the services in ``contracts.services`` decide."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View

from contracts import services
from contracts.life import contract_life, contract_series
from contracts.life_forms import (
    AmendmentForm,
    ChangeFormSet,
    EvaluationForm,
    RenewForm,
    SignForm,
    TerminateForm,
)
from contracts.models import Contract, ContractStatus


def staff_contract(pk) -> Contract:
    return get_object_or_404(
        Contract.objects.select_related("territory", "predecessor").prefetch_related(
            "targets__indicator", "amendments__changes__indicator", "signatories", "themes"
        ),
        pk=pk,
    )


@method_decorator(staff_member_required, name="dispatch")
class StaffContractView(View):
    """The contract's status and what staff can do next, each action its own form."""

    template_name = "contracts/staff_contract.html"
    forms = {"sign": SignForm, "terminate": TerminateForm, "renew": RenewForm}

    def render_page(self, contract, bound=None, status=200):
        forms = {name: form_class() for name, form_class in self.forms.items()}
        if bound:
            forms[bound[0]] = bound[1]
        context = {
            "contract": contract,
            "forms": forms,
            "S": ContractStatus,
            "series": contract_series(contract),
            "life": contract_life(contract, timezone.localdate()),
            "can_amend": contract.status in services.AMENDABLE_STATUSES,
            "can_renew": contract.status in services.RENEWABLE_STATUSES
            and not Contract.objects.filter(predecessor=contract).exists(),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self.render_page(staff_contract(pk))

    def post(self, request, pk):
        contract = staff_contract(pk)
        action = request.POST.get("action", "")
        if action == "activate":
            try:
                services.activate_contract(contract, request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
                return redirect("staff_contract", contract.pk)
            messages.success(request, _("Contrat mis en cours."))
            return redirect("staff_contract", contract.pk)
        if action not in self.forms:
            return self.render_page(contract, status=400)
        form = self.forms[action](request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "sign":
                    services.sign_contract(contract, request.user, data["signed_on"])
                    done = _("Contrat signé.")
                elif action == "terminate":
                    services.terminate_contract(
                        contract, request.user, data["reason"], data["terminated_on"]
                    )
                    done = _("Contrat résilié.")
                else:
                    successor = services.renew_contract(
                        contract,
                        request.user,
                        data["reference"],
                        data["start_date"],
                        territory=data["territory"],
                    )
                    messages.success(
                        request,
                        _("Contrat %(ref)s créé en préparation : fixez ses objectifs.")
                        % {"ref": successor.reference},
                    )
                    return redirect("staff_contract", successor.pk)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, done)
                return redirect("staff_contract", contract.pk)
        return self.render_page(staff_contract(pk), (action, form), status=400)


@method_decorator(staff_member_required, name="dispatch")
class AmendmentView(View):
    template_name = "contracts/staff_amendment.html"

    def render_page(self, contract, form, changes, status=200):
        context = {"contract": contract, "form": form, "changes": changes}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        contract = staff_contract(pk)
        number = max((a.number for a in contract.amendments.all()), default=0) + 1
        return self.render_page(
            contract,
            AmendmentForm(initial={"number": number}),
            ChangeFormSet(targets=contract.targets.all(), prefix="modif"),
        )

    def post(self, request, pk):
        contract = staff_contract(pk)
        form = AmendmentForm(request.POST)
        changes = ChangeFormSet(request.POST, targets=contract.targets.all(), prefix="modif")
        if form.is_valid() and changes.is_valid():
            data = form.cleaned_data
            try:
                amendment = services.record_amendment(
                    contract,
                    request.user,
                    number=data["number"],
                    signed_on=data["signed_on"],
                    effective_year=data["effective_year"],
                    reason=data["reason"],
                    changes=changes.changes(),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, _("Avenant n° %(number)s enregistré.") % {"number": amendment.number}
                )
                return redirect("staff_contract", contract.pk)
        return self.render_page(contract, form, changes, status=400)


@method_decorator(staff_member_required, name="dispatch")
class EvaluationView(View):
    """Complete the contract with its final evaluation, pre-filled with the verdicts
    computed from the validated values."""

    template_name = "contracts/staff_evaluation.html"

    def get(self, request, pk):
        contract = staff_contract(pk)
        form = EvaluationForm(services.proposed_verdicts(contract))
        return render(request, self.template_name, {"contract": contract, "form": form})

    def post(self, request, pk):
        contract = staff_contract(pk)
        form = EvaluationForm(services.proposed_verdicts(contract), request.POST)
        if form.is_valid():
            try:
                services.complete_contract(
                    contract, request.user, form.cleaned_data["assessment"], form.verdicts()
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Contrat achevé avec son évaluation finale."))
                return redirect("staff_contract", contract.pk)
        context = {"contract": contract, "form": form}
        return render(request, self.template_name, context, status=400)
