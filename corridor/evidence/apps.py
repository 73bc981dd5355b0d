from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "corridor.evidence"
    label = "evidence"
