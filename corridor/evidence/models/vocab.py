from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Vocabulary(models.TextChoices):
    ACT_TYPE = "act_type", _("Act types")
    PERPETRATOR_KIND = "perpetrator_kind", _("Perpetrator kinds")
    PLACE_KIND = "place_kind", _("Place kinds")


class Term(models.Model):
    """One entry of a controlled vocabulary, labelled in Russian and English.

    Corridor ships the HURIDOCS-derived terms (organisation empty, seeded by a data
    migration); an organisation adds its own without touching the shipped ones, so
    codes stay comparable across the network.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vocabulary = models.CharField(_("vocabulary"), max_length=20, choices=Vocabulary.choices)
    code = models.SlugField(_("code"), max_length=60)
    label_en = models.CharField(_("label in English"), max_length=200)
    label_ru = models.CharField(_("label in Russian"), max_length=200)
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=1000)

    class Meta:
        ordering = ["vocabulary", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["vocabulary", "code"], condition=Q(organisation__isnull=True),
                                    name="evidence_term_shipped_unique"),
            models.UniqueConstraint(fields=["vocabulary", "code", "organisation"],
                                    name="evidence_term_org_unique"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.label_ru if (get_language() or "ru").startswith("ru") else self.label_en
