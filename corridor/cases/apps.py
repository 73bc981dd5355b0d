from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "corridor.cases"
    label = "cases"

    def ready(self) -> None:
        from corridor.cases import events  # noqa: F401  (registers audit codes)
