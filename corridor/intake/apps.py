from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "corridor.intake"
    label = "intake"
