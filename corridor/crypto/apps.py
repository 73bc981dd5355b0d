from django.apps import AppConfig


class CryptoConfig(AppConfig):
    name = "corridor.crypto"
    label = "crypto"
