"""Donors, campaigns, donations, exchange rates, expenses, budgets and closed months.

What identifies a person — a private donor's name, a payee, a receipt — is encrypted
under a data key of its own record. Dates, amounts (integer minor units), currencies
and categories stay in clear so the books and the public report are computed in
the database without decrypting anything.

Entries of a closed month are frozen twice: the services refuse to touch them, and
database triggers (migration 0002) refuse UPDATE and DELETE on them and INSERT
into them, so not even a stray shell session or SQL console rewrites history.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.crypto.fields import EncryptedField
from corridor.funds.money import Money


def month_of(day: date) -> date:
    return day.replace(day=1)


class Category(models.TextChoices):
    HOUSING = "housing", _("Housing")
    MEDICAL = "medical", _("Medical help")
    PSYCHOLOGICAL = "psychological", _("Psychological help")
    RELOCATION = "relocation", _("Relocation and travel")
    DOCUMENTS = "documents", _("Documents and visas")
    BASIC_NEEDS = "basic_needs", _("Basic needs")
    CASH = "cash", _("Cash support")
    SECURITY = "security", _("Security")
    STAFF = "staff", _("Staff")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    """Where a donation came from, kept on the donation so totals are one GROUP BY."""

    ORGANISATION = "organisation", _("Organisations")
    INDIVIDUAL = "individual", _("Private donors")
    ANONYMOUS = "anonymous", _("Anonymous donations")


class Donor(models.Model):
    class Kind(models.TextChoices):
        ORGANISATION = "organisation", _("Organisation")
        INDIVIDUAL = "individual", _("Private person")

    class Consent(models.TextChoices):
        PRIVATE = "private", _("Never name publicly")
        NAMED = "named", _("May be named in public reports")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    data_key = models.ForeignKey("crypto.DataKey", on_delete=models.PROTECT, related_name="+")
    # {"name", "contact", "notes"}: who gave money is itself dangerous to know.
    identity = EncryptedField()
    consent = models.CharField(_("publication"), max_length=8, choices=Consent.choices, default=Consent.PRIVATE)
    # The name exactly as the donor agreed to see it published. Filled only while
    # consent is given (it is public by their choice); emptied on withdrawal.
    public_name = models.CharField(_("public name"), max_length=200, blank=True)
    consent_changed = models.DateTimeField(null=True, blank=True)
    erased = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organisation", "kind"])]

    @property
    def audit_id(self) -> str:
        return str(self.pk)

    @property
    def source(self) -> str:
        return Source.ORGANISATION if self.kind == self.Kind.ORGANISATION else Source.INDIVIDUAL

    @property
    def name(self) -> str:
        identity = self.identity
        return str(identity.get("name", "")) if isinstance(identity, dict) else str(identity or "")


class Campaign(models.Model):
    """A fundraising campaign that uses the organisation's name — its own or not.

    Everything here is public on purpose (the list lets donors check a campaign
    before giving), so nothing is encrypted.
    """

    class Status(models.TextChoices):
        OFFICIAL = "official", _("Official")
        PARTNER = "partner", _("Verified partner")
        UNVERIFIED = "unverified", _("Unverified")
        DISOWNED = "disowned", _("Disowned: not ours")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    run_by = models.CharField(_("run by"), max_length=200, blank=True)
    url = models.URLField(_("address"), max_length=500, blank=True)
    public_note = models.TextField(_("public note"), max_length=2000, blank=True)
    started = models.DateField(_("started"), null=True, blank=True)
    ended = models.DateField(_("ended"), null=True, blank=True)
    listed = models.BooleanField(_("shown on the public list"), default=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["status", "name"]
        indexes = [models.Index(fields=["organisation", "listed", "status"])]

    def __str__(self) -> str:
        return self.name


class Entry(models.Model):
    """What donations and expenses share: a dated amount in one currency that belongs
    to a month, and may correct an entry of an earlier (closed) month."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    # First day of `date`'s month, kept as a column so reports GROUP BY it and the
    # closed-month triggers compare it without date functions.
    month = models.DateField(editable=False)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(_("currency"), max_length=3)
    corrects = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="corrections")
    created = models.DateTimeField(default=timezone.now)
    # PROTECT, not SET_NULL: nulling the column would be an UPDATE of a closed month.
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.month = month_of(self.date)
        super().save(*args, **kwargs)

    @property
    def money(self) -> Money:
        return Money.of_minor(self.amount_minor, self.currency)

    @property
    def audit_id(self) -> str:
        return str(self.pk)


class Donation(Entry):
    donor = models.ForeignKey(Donor, null=True, blank=True, on_delete=models.PROTECT, related_name="donations")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="donations")
    source = models.CharField(max_length=12, choices=Source.choices)
    # An earmarked purpose; blank means unrestricted.
    restriction = models.CharField(_("restricted to"), max_length=16, choices=Category.choices, blank=True)

    class Meta:
        ordering = ["-date", "-created"]
        indexes = [
            # Covering index for the report: the GROUP BY never touches the table.
            models.Index(fields=["organisation", "month", "source", "currency", "date", "amount_minor"],
                         name="donation_report"),
            models.Index(fields=["organisation", "-date"], name="donation_org_date"),
        ]


class ExchangeRate(models.Model):
    """1 `currency` = `rate` `quote`, from `date` until the next rate of the pair."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(_("currency"), max_length=3)
    quote = models.CharField(_("in currency"), max_length=3)
    date = models.DateField(_("date"))
    rate = models.DecimalField(_("rate"), max_digits=24, decimal_places=10)
    source = models.CharField(_("source"), max_length=200, blank=True)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-date", "currency", "quote"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "currency", "quote", "date"], name="rate_unique"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="rate_positive"),
        ]


class Expense(Entry):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    # Bulk-imported rows without payee or receipt have no key.
    data_key = models.ForeignKey("crypto.DataKey", null=True, on_delete=models.PROTECT, related_name="+")
    payee = EncryptedField()
    description = EncryptedField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPROVED)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided = models.DateTimeField(null=True, blank=True)
    # Spending against one pseudonymous case or one of its services; never a name.
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("cases.Service", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    # The receipt: AES-256-GCM ciphertext in the blob store under this row's key.
    receipt_blob = models.CharField(max_length=64, blank=True)
    receipt_size = models.PositiveIntegerField(null=True, blank=True)
    receipt_type = models.CharField(max_length=40, blank=True)
    receipt_meta = EncryptedField()  # {"filename", "sha256"}

    class Meta:
        ordering = ["-date", "-created"]
        indexes = [
            models.Index(fields=["organisation", "status", "month", "category", "currency", "date", "amount_minor"],
                         name="expense_report"),
            models.Index(fields=["organisation", "-date"], name="expense_org_date"),
            models.Index(fields=["organisation", "status"], name="expense_org_status"),
        ]


class Budget(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    start = models.DateField(_("first month"))
    end = models.DateField(_("last month"))
    amount_minor = models.BigIntegerField()
    currency = models.CharField(_("currency"), max_length=3)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start", "category"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "category", "start", "end"], name="budget_unique"),
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="budget_order"),
            models.CheckConstraint(condition=models.Q(amount_minor__gt=0), name="budget_positive"),
        ]

    @property
    def money(self) -> Money:
        return Money.of_minor(self.amount_minor, self.currency)

    @property
    def audit_id(self) -> str:
        return str(self.pk)


class ClosedPeriod(models.Model):
    """A closed month. The row exists only once the month is closed and can never be
    changed or deleted (trigger); `digest` fixes what the month held at closing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    closed = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey("accounts.User", null=True, on_delete=models.PROTECT, related_name="+")
    donations = models.PositiveIntegerField(default=0)
    expenses = models.PositiveIntegerField(default=0)
    digest = models.CharField(max_length=64)

    class Meta:
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["organisation", "month"], name="closed_period_unique")]

    @property
    def audit_id(self) -> str:
        return self.month.strftime("%Y-%m")
