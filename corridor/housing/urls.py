"""Mounted at /staff/housing/."""

from django.urls import path

from corridor.housing import views

app_name = "housing"
urlpatterns = [
    path("", views.house_list, name="list"),
    path("new/", views.house_edit, name="new"),
    path("<uuid:pk>/", views.house_detail, name="detail"),
    path("<uuid:pk>/address/", views.house_address, name="address"),
    path("<uuid:pk>/edit/", views.house_edit, name="edit"),
    path("<uuid:pk>/check-in/", views.check_in, name="check_in"),
    path("stays/<uuid:pk>/check-out/", views.check_out, name="check_out"),
    path("stays/<uuid:pk>/move/", views.move, name="move"),
]
