from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from corridor.accounts.models import User


class ThrottledBackend(ModelBackend):
    """Username + Argon2id password. Unknown names still cost one hash, so response
    time does not reveal which accounts exist; throttling is done by the login view."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        from corridor.accounts.services import user_by_username

        user = user_by_username(username)
        if user is None:
            User().set_password(password)
            return None
        if user.check_password(password) and user.is_active:
            return user
        return None

    def get_user(self, user_id):
        user = User.objects.select_related("organisation").filter(pk=user_id).first()
        return user if user and user.is_active else None
