from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A personal token for the REST API, acting as its owner within a chosen scope.

    Only the SHA-256 digest of the token is stored: the token is 256 random bits,
    shown once when it is made, so the digest cannot be turned back into it and is
    not itself a token (presenting the digest hashes it again). `prefix` is the
    first characters, shown in lists so a person can tell their tokens apart.
    Nothing about where a token is used from is kept; `last_used` is a day.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="api_tokens")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    write = models.BooleanField(_("may write"), default=False)
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField(_("expires"))
    revoked = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    last_used = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["organisation", "-created"], name="api_token_org_created")]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}"

    @property
    def active(self) -> bool:
        return self.revoked is None and self.expires > timezone.now()
