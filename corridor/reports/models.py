"""Published transparency reports.

A report is computed once, when a finance officer publishes it, and frozen: the
public pages and PDFs serve exactly the figures that passed disclosure control at
that moment and never query cases or the books. That keeps the public site fast,
lets it work while the server is sealed, and means two visits can never be
differenced to learn about one recent case.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Publication(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    start = models.DateField()
    end = models.DateField()  # first day of the last month included
    currency = models.CharField(max_length=3)
    data = models.JSONField()
    digest = models.CharField(max_length=64)  # SHA-256 of the canonical JSON of `data`
    pdf_ru = models.BinaryField()
    pdf_en = models.BinaryField()
    published = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+")
    withdrawn = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    # A correction replaces the report for exactly the same months; any other overlap
    # is refused, since two overlapping reports can be differenced.
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by")

    class Meta:
        ordering = ["-end", "-published"]
        indexes = [models.Index(fields=["organisation", "withdrawn", "-end"], name="publication_live")]

    @property
    def is_live(self) -> bool:
        return self.withdrawn is None

    def pdf(self, lang: str) -> bytes:
        return bytes(self.pdf_en if lang == "en" else self.pdf_ru)
