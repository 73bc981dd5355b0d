"""Where people can go: countries, embassies, programmes, and each application."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from corridor.cases.models.cases import Case
from corridor.crypto.fields import EncryptedField


class CountryQuerySet(models.QuerySet):
    def by_name(self) -> CountryQuerySet:
        """Alphabetical in the reader's language: "Австрия, Бельгия…" in Russian."""
        return self.order_by("name_ru" if translation.get_language() == "ru" else "name_en", "code")


class Country(models.Model):
    """Reference data shared by the whole installation (seeded by a migration)."""

    code = models.CharField(max_length=2, primary_key=True)  # ISO 3166-1 alpha-2
    name_en = models.CharField(max_length=80)
    name_ru = models.CharField(max_length=80)
    eu = models.BooleanField(default=False)

    objects = CountryQuerySet.as_manager()

    class Meta:
        ordering = ["name_en"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_ru if translation.get_language() == "ru" else self.name_en


class Programme(models.TextChoices):
    HUMANITARIAN_VISA = "humanitarian_visa", _("Humanitarian visa")
    ASYLUM = "asylum", _("Asylum")
    RESETTLEMENT = "resettlement", _("Resettlement through UNHCR")
    FAMILY_REUNION = "family_reunion", _("Family reunion")


# Programmes whose grant lets a person travel, and those that settle them for good.
ENTRY_PROGRAMMES = {Programme.HUMANITARIAN_VISA, Programme.RESETTLEMENT, Programme.FAMILY_REUNION}
PROTECTION_PROGRAMMES = {Programme.ASYLUM, Programme.RESETTLEMENT, Programme.FAMILY_REUNION}


class Embassy(models.Model):
    """An embassy or consulate this organisation deals with. The contacts (a
    diplomat's name and number) are encrypted under the embassy's own key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="embassies")
    city = models.CharField(_("city"), max_length=80)
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    contacts = EncryptedField()
    last_contact = models.DateField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["country__name_en", "city"]

    def __str__(self) -> str:
        return f"{self.country.name}, {self.city}"


class Application(models.Model):
    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="applications")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="applications")
    programme = models.CharField(max_length=20, choices=Programme.choices)
    embassy = models.ForeignKey(Embassy, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications")
    submitted = models.DateField()
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided = models.DateField(null=True, blank=True)
    notes = EncryptedField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted"]
        indexes = [models.Index(fields=["country", "decision"])]

    @property
    def data_key(self):
        return self.case.person.data_key

    @property
    def wait_days(self) -> int | None:
        end = self.decided or timezone.localdate()
        return (end - self.submitted).days
