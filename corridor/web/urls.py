from django.urls import path

from corridor.web import views

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("language/", views.set_language, name="set_language"),
    path("kept/", views.kept_view, name="kept"),
    path("kept/discard/", views.kept_discard, name="kept_discard"),
    path("keys/", views.keys_view, name="keys"),
    path("retention/", views.retention_view, name="retention"),
    path("keys/seal/", views.seal_now, name="seal"),
    path("sealed/", views.sealed, name="sealed"),
]
