"""URLs for the import tests until ``contracts/urls.py`` wires the officer space:
the same names under the same ``officer`` namespace, plus the project's URLs so
base.html's links resolve."""

from django.http import HttpResponse
from django.urls import include, path

from contracts import import_views


def dashboard(request):
    return HttpResponse("Espace référent")


officer_patterns = [
    path("", dashboard, name="dashboard"),
    path("import/", import_views.ImportView.as_view(), name="import"),
    path(
        "import/modele.<str:fmt>",
        import_views.TemplateDownloadView.as_view(),
        name="import_template",
    ),
]

urlpatterns = [
    path("espace/", include((officer_patterns, "officer"))),
    path("", include("tri_portal.urls")),
]
