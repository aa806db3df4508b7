from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

from tri_portal import views

admin.site.site_header = _("Administration du portail TRI")
admin.site.site_title = _("Portail TRI")
admin.site.index_title = _("Gestion des territoires, contrats et indicateurs")

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
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
    path("gestion/", views.StaffDashboardView.as_view(), name="staff_dashboard"),
    path("gestion/recalculer/", views.RecomputeNowView.as_view(), name="recompute_now"),
    path("admin/", admin.site.urls),
]
