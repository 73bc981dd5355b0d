"""URL map. Public pages live at the root and are listed on purpose (each view is
marked `login_not_required`); everything under /staff/ needs a password and TOTP."""

from django.urls import include, path, re_path

from corridor.web import views as web_views

staff = [
    path("", include("corridor.web.urls")),
    path("", include("corridor.accounts.urls")),
    path("audit/", include("corridor.audit.urls")),
]

urlpatterns = [
    path("staff/", include(staff)),
    re_path(r"^static/(?P<path>.+)$", web_views.static, name="static"),
]
