from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from contracts.api import CONTRACTS, TARGETS
from contracts.api_effort import EFFORT_SHARES
from contracts.comparison import COMPARISON_CSV
from indicators.api import AGGREGATES, VALUES

DATASETS = {
    dataset.name: dataset
    for dataset in (CONTRACTS, TARGETS, VALUES, AGGREGATES, EFFORT_SHARES, COMPARISON_CSV)
}
# Each open-data file is the export of an API list (``?format=csv|xlsx``), or of the
# comparison table's page (the same parameters).
EXPORT_ROUTES = [
    (CONTRACTS.name, "api:contract-list"),
    (TARGETS.name, "api:target-list"),
    (VALUES.name, "api:value-list"),
    (AGGREGATES.name, "api:aggregate-list"),
    (EFFORT_SHARES.name, "api:effort-share-list"),
    (COMPARISON_CSV.name, "contract_comparison"),  # the comparison table's page
]


@csrf_exempt  # it changes nothing, whatever the method
def not_found(request):
    return JsonResponse(
        {"detail": _("Adresse inconnue dans l'API (voir /api/v1/docs/).")},
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )


class TableSchemaView(View):
    """The Table Schema (frictionless) of each open-data file."""

    def get(self, request, name):
        dataset = DATASETS.get(name)
        if dataset is None:
            raise Http404
        return JsonResponse(
            dataset.table_schema(), json_dumps_params={"ensure_ascii": False, "indent": 2}
        )
