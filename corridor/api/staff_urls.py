from django.urls import path

from corridor.api import views

app_name = "api_tokens"
urlpatterns = [
    path("", views.token_list, name="list"),
    path("all/", views.token_admin_list, name="all"),
    path("<uuid:token_id>/revoke/", views.token_revoke, name="revoke"),
]
