from django.urls import path

from corridor.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
    path("alerts/<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge_alert"),
    path("checkpoint.txt", views.checkpoint_txt, name="checkpoint"),
]
