from django.urls import path

from contracts import import_views, story_views, views

app_name = "officer"

urlpatterns = [
    path("", views.OfficerDashboardView.as_view(), name="dashboard"),
    path(
        "contrats/<int:contract_id>/rapports/<int:year>/",
        views.ReportView.as_view(),
        name="report",
    ),
    path(
        "contrats/<int:contract_id>/rapports/<int:year>/pieces/",
        story_views.EvidenceUploadView.as_view(),
        name="evidence_upload",
    ),
    path(
        "rapports/<int:report_id>/pieces/<int:pk>/",
        story_views.EvidenceDownloadView.as_view(),
        name="evidence_file",
    ),
    path(
        "rapports/<int:report_id>/pieces/<int:pk>/supprimer/",
        story_views.EvidenceDeleteView.as_view(),
        name="evidence_delete",
    ),
    path("rapports/<int:pk>/retirer/", views.WithdrawReportView.as_view(), name="withdraw"),
    path("import/", import_views.ImportView.as_view(), name="import"),
    path(
        "import/modele.<str:fmt>",
        import_views.TemplateDownloadView.as_view(),
        name="import_template",
    ),
]
