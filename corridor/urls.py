"""URL map. Public pages live at the root and are listed on purpose (each view is
marked `login_not_required`); everything under /staff/ needs a password and TOTP."""

from django.urls import include, path, re_path

from corridor.web import views as web_views

staff = [
    path("", include("corridor.web.urls")),
    path("", include("corridor.accounts.urls")),
    path("audit/", include("corridor.audit.urls")),
    path("intake/", include("corridor.intake.urls")),
    path("exposure/", include("corridor.exposure.urls")),
    path("cases/", include("corridor.cases.urls")),
    path("housing/", include("corridor.housing.urls")),
    path("evidence/", include("corridor.evidence.urls")),
    path("funds/", include("corridor.funds.urls")),
    path("reports/", include("corridor.reports.urls")),
    path("api/tokens/", include("corridor.api.staff_urls")),
]

urlpatterns = [
    path("staff/", include(staff)),
    path("transparency/", include("corridor.funds.public_urls")),
    # The REST API: bearer tokens, no session (corridor/api/).
    path("api/v1/", include("corridor.api.urls")),
    re_path(r"^static/(?P<path>.+)$", web_views.static, name="static"),
    # Public intake at the root: the form, the receipt pages, quick exit.
    path("", include("corridor.intake.public_urls")),
]

handler403 = "corridor.web.errors.forbidden"
handler404 = "corridor.web.errors.not_found"
handler500 = "corridor.web.errors.server_error"
