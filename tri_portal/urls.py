from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from contracts import life_views, public_views
from contracts import views as contract_views
from tri_portal import (
    accounts,
    coverage_views,
    health,
    map_page,
    regional_dashboard,
    territory_views,
    views,
)
from tri_portal.api import token_views

admin.site.site_header = _("Administration du portail TRI")
admin.site.site_title = _("Portail TRI")
admin.site.index_title = _("Gestion des territoires, contrats et indicateurs")

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "mentions-legales/",
        views.StaticPageView.as_view(template_name="tri_portal/legal_notice.html"),
        name="legal_notice",
    ),
    path(
        "accessibilite/",
        views.StaticPageView.as_view(template_name="tri_portal/accessibility.html"),
        name="accessibility",
    ),
    path(
        "donnees-personnelles/",
        views.StaticPageView.as_view(template_name="tri_portal/privacy.html"),
        name="privacy",
    ),
    path("methode/", views.MethodView.as_view(), name="method"),
    path("contrats/", public_views.ContractListView.as_view(), name="contracts"),
    path(
        "contrats/comparaison/",
        public_views.ContractComparisonView.as_view(),
        name="contract_comparison",
    ),
    path("contrats/<int:pk>/", public_views.ContractDetailView.as_view(), name="contract"),
    path(
        "contrats/<int:pk>/donnees.csv", public_views.ContractCsvView.as_view(), name="contract_csv"
    ),
    path(
        "contrats/<int:pk>/documents/<int:doc_pk>/",
        public_views.ContractDocumentView.as_view(),
        name="contract_document",
    ),
    path("couverture/", coverage_views.CoverageSearchView.as_view(), name="coverage_search"),
    path(
        "territoires/code/<str:code>/",
        territory_views.TerritoryByCodeView.as_view(),
        name="territory_by_code",
    ),
    path(
        "territoires/<slug:slug>/", territory_views.TerritoryDetailView.as_view(), name="territory"
    ),
    path(
        "tableau-de-bord/",
        regional_dashboard.RegionalDashboardView.as_view(),
        name="regional_dashboard",
    ),
    path("carte/", map_page.MapView.as_view(), name="map"),
    path("donnees/", views.OpenDataView.as_view(), name="open_data"),
    path("donnees/dictionnaire.csv", views.data_dictionary, name="data_dictionary"),
    path(
        "compte/password_reset/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),  # throttled; the rest of the account pages are Django's
    path("compte/", include("django.contrib.auth.urls")),
    path("espace/jetons/", token_views.ApiTokensView.as_view(), name="api_tokens"),
    path(
        "espace/jetons/<int:pk>/revoquer/",
        token_views.RevokeTokenView.as_view(),
        name="api_token_revoke",
    ),
    path("espace/", include("contracts.urls")),
    path("gestion/", views.StaffDashboardView.as_view(), name="staff_dashboard"),
    path("gestion/rapports/", contract_views.StaffReportQueueView.as_view(), name="staff_reports"),
    path(
        "gestion/alignement/",
        contract_views.StaffAlignmentView.as_view(),
        name="staff_alignment",
    ),
    path(
        "gestion/rapports/<int:pk>/", contract_views.StaffReportView.as_view(), name="staff_report"
    ),
    path(
        "gestion/valeurs/<int:pk>/corriger/",
        contract_views.CorrectValueView.as_view(),
        name="correct_value",
    ),
    path(
        "gestion/contrats/<int:pk>/", life_views.StaffContractView.as_view(), name="staff_contract"
    ),
    path(
        "gestion/contrats/<int:pk>/avenant/",
        life_views.AmendmentView.as_view(),
        name="staff_amendment",
    ),
    path(
        "gestion/contrats/<int:pk>/evaluation/",
        life_views.EvaluationView.as_view(),
        name="staff_evaluation",
    ),
    path("gestion/recalculer/", views.RecomputeNowView.as_view(), name="recompute_now"),
    path("api/v1/", include("tri_portal.api.urls")),
    path("admin/", admin.site.urls),
]

# French error pages, and JSON errors under /api/ (tri_portal/errors.py).
handler400 = "tri_portal.errors.bad_request"
handler403 = "tri_portal.errors.permission_denied"
handler404 = "tri_portal.errors.page_not_found"
handler500 = "tri_portal.errors.server_error"
