from django.apps import AppConfig


class ExposureConfig(AppConfig):
    name = "corridor.exposure"
    label = "exposure"
