from django.urls import path

from corridor.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.code_view, name="code"),
    path("logout/", views.logout_view, name="logout"),
    path("security/", views.security_view, name="security"),
    path("security/end-sessions/", views.end_sessions_view, name="end_sessions"),
    path("security/time-zone/", views.own_time_zone_view, name="own_time_zone"),
    path("users/time-zone/", views.organisation_time_zone_view, name="organisation_time_zone"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<uuid:user_id>/", views.user_detail, name="user_detail"),
    path("users/<uuid:user_id>/reset-totp/", views.user_reset_totp, name="user_reset_totp"),
]
