from django.urls import path

from contracts import import_views, views

app_name = "officer"

urlpatterns = [
    path("", views.OfficerDashboardView.as_view(), name="dashboard"),
    path(
        "contrats/<int:contract_id>/rapports/<int:year>/",
        views.ReportView.as_view(),
        name="report",
    ),
    path("rapports/<int:pk>/retirer/", views.WithdrawReportView.as_view(), name="withdraw"),
    path("import/", import_views.ImportView.as_view(), name="import"),
    path(
        "import/modele.<str:fmt>",
        import_views.TemplateDownloadView.as_view(),
        name="import_template",
    ),
]
