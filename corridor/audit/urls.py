from django.urls import path

from corridor.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.log, name="log"),
    path("checkpoint.txt", views.checkpoint_txt, name="checkpoint"),
]
