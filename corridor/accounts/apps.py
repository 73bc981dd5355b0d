from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "corridor.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Coordinators and administrators see a colleague's duress sign-in at once.
        self.dashboard_panels = [("accounts/panels/duress.html", None, "corridor.accounts.duress.panel")]
