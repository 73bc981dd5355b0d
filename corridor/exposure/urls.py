from django.urls import path

from corridor.exposure import views

app_name = "exposure"
urlpatterns = [
    path("", views.imports, name="imports"),
    path("imports/<uuid:import_id>/", views.import_detail, name="import"),
    path("provocateurs/", views.provocateurs, name="provocateurs"),
    path("provocateurs/<uuid:provocateur_id>/remove/", views.provocateur_remove, name="provocateur_remove"),
    path("alerts/<uuid:alert_id>/done/", views.alert_acknowledge, name="alert_ack"),
]
