from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from contracts.selectors import publishes_demo_data, signed_contracts
from indicators.models import Indicator
from indicators.peer_groups import MIN_PEERS, POPULATION_BANDS, PeerKind
from indicators.tasks import enqueue_full_recompute
from kit.api import exports
from kit.cache import public_page
from territories.selectors import region_overview
from tri_portal.api.views import DATASETS, EXPORT_ROUTES
from tri_portal.staff_dashboard import staff_dashboard


class HomeView(TemplateView):
    template_name = "tri_portal/home.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **kwargs, overview=region_overview(), contracts=signed_contracts()
        )


class StaticPageView(TemplateView):
    """Legal and information pages: text only, in the templates."""


@method_decorator(public_page, name="get")
class MethodView(TemplateView):
    """Glossary and method: every indicator of the catalogue (read from it) and the
    terms and rules behind the figures; every figure of the portal links here."""

    template_name = "tri_portal/method.html"

    def get_context_data(self, **kwargs):
        indicators = Indicator.objects.order_by("-is_key", "theme", "identifier")
        return super().get_context_data(
            **kwargs,
            indicators=indicators,
            population_bands=POPULATION_BANDS,
            peer_kinds=PeerKind.choices,
            min_peers=MIN_PEERS,
        )


@method_decorator(staff_member_required, name="dispatch")
class StaffDashboardView(TemplateView):
    """Regional and ADEME staff: TRI goals, coverage, reports to handle, recomputes."""

    template_name = "tri_portal/staff_dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, **staff_dashboard())


@method_decorator(staff_member_required, name="dispatch")
class RecomputeNowView(View):
    def post(self, request):
        if enqueue_full_recompute(trigger="staff"):
            messages.success(request, _("Recalcul complet des agrégats lancé."))
        else:
            messages.warning(
                request,
                _(
                    "Le service de tâches est indisponible : le recalcul complet sera fait cette nuit."
                ),
            )
        return redirect("staff_dashboard")


class OpenDataView(TemplateView):
    """The open-data files (CSV, French CSV, XLSX) with their Table Schemas, their
    licence, the data dictionary (their columns) and the API."""

    template_name = "tri_portal/open_data.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["datasets"] = [
            {"dataset": DATASETS[name], "url": reverse(route)} for name, route in EXPORT_ROUTES
        ]
        context["licence"] = settings.TRI_OPEN_DATA_LICENCE
        context["has_demo"] = publishes_demo_data()
        return context


def data_dictionary(request):
    """The French data dictionary of the open-data files (``?sep=;``: for a spreadsheet),
    generated from the columns that write the files."""
    separator = exports.SEPARATORS.get(request.GET.get("sep", ","), ",")
    datasets = [DATASETS[name] for name, _route in EXPORT_ROUTES]
    return exports.csv_response(
        exports.DICTIONARY,
        exports.dictionary_rows(datasets),
        "dictionnaire-des-donnees",
        separator=separator,
    )


def favicon(request):
    """For clients that ask for /favicon.ico without reading the page's <link rel="icon">
    (the static URL is resolved per request: it needs the collected files' manifest)."""
    return redirect(static("img/favicon.svg"), permanent=True)
