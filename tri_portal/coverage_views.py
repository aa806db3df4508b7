"""``/couverture/?q=…``: "is my commune covered, and by which contract?" — the
communes matching a name or an INSEE code, each with the public contracts covering it
through itself, its EPCI or its syndicat."""

from django.views.generic import TemplateView

from contracts.coverage import covering_contracts_of_many
from territories.search import MAX_QUERY_LENGTH, search_communes

MAX_RESULTS = 20


class CoverageSearchView(TemplateView):
    template_name = "tri_portal/coverage_search.html"

    def get_context_data(self, **kwargs):
        submitted = "q" in self.request.GET
        search = search_communes(self.request.GET.get("q"), limit=MAX_RESULTS)
        coverages = covering_contracts_of_many(search.communes)
        return super().get_context_data(
            **kwargs,
            submitted=submitted,
            search=search,
            results=[(commune, coverages[commune.pk]) for commune in search.communes],
            max_query_length=MAX_QUERY_LENGTH,
        )
