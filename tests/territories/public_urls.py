"""URLs of the public territory pages for the tests, with a stand-in for the contract
page (built elsewhere) so that ``{% url 'contract' pk %}`` resolves."""

from django.http import HttpResponse
from django.urls import include, path

from territories.views import TerritoryByCodeView, TerritoryDetailView


def contract_stub(request, pk):
    return HttpResponse(f"contrat {pk}")


urlpatterns = [
    path("territoires/<slug:slug>/", TerritoryDetailView.as_view(), name="territory"),
    path("territoires/code/<str:code>/", TerritoryByCodeView.as_view(), name="territory_by_code"),
    path("contrats/<int:pk>/", contract_stub, name="contract"),
    path("", include("tri_portal.urls")),
]
