from django.urls import path

from corridor.accounts import recovery_views, views, views_webauthn

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
    path("login/recovery/", recovery_views.recovery_login_view, name="recovery_login"),
    path("security/duress/", views.duress_set_view, name="duress_set"),
    path("security/duress/remove/", views.duress_remove_view, name="duress_remove"),
    path("security/recovery-codes/", recovery_views.recovery_codes_view, name="recovery_codes"),
    path("security/authenticator/new/", recovery_views.totp_replace_start_view, name="totp_replace_start"),
    path("security/authenticator/", recovery_views.totp_replace_view, name="totp_replace"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<uuid:user_id>/", views.user_detail, name="user_detail"),
    path("users/<uuid:user_id>/reset-totp/", views.user_reset_totp, name="user_reset_totp"),
    path("users/<uuid:user_id>/lift-restriction/", views.user_duress_lift, name="user_duress_lift"),
    path("resets/<uuid:reset_id>/approve/", recovery_views.factor_reset_approve_view, name="factor_reset_approve"),
    path("resets/<uuid:reset_id>/cancel/", recovery_views.factor_reset_cancel_view, name="factor_reset_cancel"),
]
