from django.apps import AppConfig


class HousingConfig(AppConfig):
    name = "corridor.housing"
    label = "housing"
