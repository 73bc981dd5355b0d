from django.urls import path

from corridor.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.code_view, name="code"),
    path("logout/", views.logout_view, name="logout"),
    path("security/", views.security_view, name="security"),
    path("security/end-sessions/", views.end_sessions_view, name="end_sessions"),
    path("security/duress/", views.duress_set_view, name="duress_set"),
    path("security/duress/remove/", views.duress_remove_view, name="duress_remove"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<uuid:user_id>/", views.user_detail, name="user_detail"),
    path("users/<uuid:user_id>/reset-totp/", views.user_reset_totp, name="user_reset_totp"),
    path("users/<uuid:user_id>/lift-restriction/", views.user_duress_lift, name="user_duress_lift"),
]
