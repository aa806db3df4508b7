from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from contracts.api import ContractViewSet, TargetViewSet
from contracts.api_effort import EffortShareViewSet
from contracts.api_life import AmendmentViewSet
from contracts.api_reports import ReportViewSet
from indicators.api import AggregateViewSet, IndicatorViewSet, ValueViewSet
from indicators.api_objectives import RegionalGoalViewSet
from indicators.api_peers import PeerStatisticViewSet
from territories.api import TerritoryViewSet
from tri_portal.api.views import TableSchemaView, not_found

# The vendored Swagger UI and Redoc inject their styles and Redoc runs a blob worker:
# their two pages (no user content) allow that; scripts stay 'self' only.
DOCS_CSP = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})

router = DefaultRouter()
router.include_root_view = False
router.include_format_suffixes = False  # ?format= selects the exports, not a suffix
router.register("territories", TerritoryViewSet, basename="territory")
router.register("indicators", IndicatorViewSet, basename="indicator")
router.register("contracts", ContractViewSet, basename="contract")
router.register("targets", TargetViewSet, basename="target")
router.register("amendments", AmendmentViewSet, basename="amendment")
router.register("values", ValueViewSet, basename="value")
router.register("aggregates", AggregateViewSet, basename="aggregate")
router.register("regional-goals", RegionalGoalViewSet, basename="regional-goal")
router.register("effort-shares", EffortShareViewSet, basename="effort-share")
router.register("reports", ReportViewSet, basename="report")
router.register("peer-statistics", PeerStatisticViewSet, basename="peer-statistic")

app_name = "api"

urlpatterns = [
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        DOCS_CSP(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path("redoc/", DOCS_CSP(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
    path("table-schemas/<slug:name>.json", TableSchemaView.as_view(), name="table_schema"),
    # Anything else under /api/v1/ is a JSON 404, like an unknown id.
    re_path(r"^.*/$", not_found),
]
