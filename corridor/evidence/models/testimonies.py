from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.crypto.fields import EncryptedField


class Partner(models.TextChoices):
    OSCE = "osce", _("OSCE (Moscow Mechanism)")
    ECHR = "echr", _("European Court of Human Rights")
    UN = "un", _("UN bodies")
    JOURNALIST = "journalist", _("A journalist")


# Short names for badges, translated like the long ones (never the raw codes).
PARTNER_SHORT = {
    Partner.OSCE: _("OSCE"),
    Partner.ECHR: _("ECHR"),
    Partner.UN: _("UN"),
    Partner.JOURNALIST: _("journalist"),
}


class Testimony(models.Model):
    """A survivor's or witness's account, recorded by a legal officer.

    The witness is a person of the organisation (by pseudonym) or an anonymous
    source described only inside `source_label`. Consent is given per use: public
    (anonymised) reports, legal proceedings with the name, and each outside
    partner; none of them given means "internal only".
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=16)
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("cases.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="testimonies", verbose_name=_("witness"))
    source_label = EncryptedField()
    language = models.CharField(_("language"), max_length=8, default="ru")
    transcript = EncryptedField()
    summary = EncryptedField()
    interviewer = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("interviewer"))
    interviewed_on = models.DateField(_("date of interview"))
    consent_public = models.BooleanField(_("anonymised in public reports"), default=False)
    consent_legal = models.BooleanField(_("named in legal proceedings"), default=False)
    consent_partners = models.JSONField(_("shared with partners"), default=list, blank=True)
    consent_note = EncryptedField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-interviewed_on", "-created"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="evidence_testimony_code")]

    def __str__(self) -> str:
        return self.code

    @property
    def audit_id(self) -> str:
        return self.code

    @property
    def consent_partner_labels(self) -> list[str]:
        return [str(PARTNER_SHORT.get(p, p)) for p in self.consent_partners]

    @property
    def internal_only(self) -> bool:
        return not (self.consent_public or self.consent_legal or self.consent_partners)
