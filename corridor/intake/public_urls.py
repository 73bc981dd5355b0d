"""Public pages at the site root; every view here is `login_not_required` on purpose."""

from django.urls import path

from corridor.intake.views import public

app_name = "public"
urlpatterns = [
    path("", public.intake_form, name="intake"),
    path("receipt/", public.receipt_view, name="receipt"),
    path("receipt/write/", public.follow_up, name="follow_up"),
    path("safety/", public.safety, name="safety"),
]
