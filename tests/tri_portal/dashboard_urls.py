"""Wires the public regional dashboard for its tests until tri_portal/urls.py does
(same path and name as the real wiring)."""

from django.urls import include, path

from tri_portal.public_dashboard import RegionalDashboardView

urlpatterns = [
    path("tableau-de-bord/", RegionalDashboardView.as_view(), name="regional_dashboard"),
    path("", include("tri_portal.urls")),
]
