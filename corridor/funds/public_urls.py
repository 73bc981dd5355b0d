"""Public pages under /transparency/ (each view is `login_not_required` on purpose)."""

from django.urls import path

from corridor.audit import views as audit_views
from corridor.funds import public_views
from corridor.reports import public_views as report_views

app_name = "transparency"
urlpatterns = [
    path("", report_views.index, name="index"),
    path("campaigns/", public_views.campaigns, name="campaigns"),
    path("log-keys.txt", audit_views.log_keys, name="log_keys"),
    path("<slug:slug>/", report_views.report, name="report"),
    path("<slug:slug>/<uuid:publication_id>/", report_views.report, name="publication"),
    path("<slug:slug>/<uuid:publication_id>/report-<str:lang>.pdf", report_views.report_pdf, name="pdf"),
]
