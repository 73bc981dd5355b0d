from django.urls import path

from corridor.accounts import views, views_webauthn

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.code_view, name="code"),
    path("login/key/", views_webauthn.sign_in_view, name="webauthn_sign_in"),
    path("logout/", views.logout_view, name="logout"),
    path("security/", views.security_view, name="security"),
    path("security/end-sessions/", views.end_sessions_view, name="end_sessions"),
    path("security/keys/", views_webauthn.keys_view, name="webauthn_keys"),
    path("security/keys/register/", views_webauthn.register_view, name="webauthn_register"),
    path("security/keys/<uuid:key_id>/remove/", views_webauthn.remove_view, name="webauthn_remove"),
    path("users/security-keys/", views_webauthn.requirements_view, name="webauthn_requirements"),
    path("users/<uuid:user_id>/security-keys/remove/", views_webauthn.admin_remove_view,
         name="webauthn_admin_remove"),
    path("security/time-zone/", views.own_time_zone_view, name="own_time_zone"),
    path("users/time-zone/", views.organisation_time_zone_view, name="organisation_time_zone"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<uuid:user_id>/", views.user_detail, name="user_detail"),
    path("users/<uuid:user_id>/reset-totp/", views.user_reset_totp, name="user_reset_totp"),
]
