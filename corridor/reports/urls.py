from django.urls import path

from corridor.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("preview/", views.preview, name="preview"),
    path("publish/", views.publish, name="publish"),
    path("<uuid:publication_id>/withdraw/", views.withdraw, name="withdraw"),
]
