"""Evacuation cases, their stages and every move between them, checklists, notes."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.cases.models.people import Household, Person
from corridor.crypto.fields import EncryptedField


class Stage(models.TextChoices):
    CONTACTED = "contacted", _("Contacted")
    VETTING = "vetting", _("Vetting")
    ACCEPTED = "accepted", _("Accepted")
    LEAVING_REGION = "leaving_region", _("Leaving the region")
    SHELTERED = "sheltered", _("Sheltered")
    DOCUMENTS = "documents", _("Documents")
    VISA_ASYLUM = "visa_asylum", _("Visa or asylum")
    DEPARTED = "departed", _("Departed the country")
    RESETTLED = "resettled", _("Resettled (asylum granted)")
    # exits
    DECLINED = "declined", _("Declined")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    DETAINED = "detained", _("Detained")
    RETURNED = "returned", _("Returned")
    DECEASED = "deceased", _("Deceased")
    CLOSED = "closed", _("Closed")


JOURNEY = [
    Stage.CONTACTED, Stage.VETTING, Stage.ACCEPTED, Stage.LEAVING_REGION, Stage.SHELTERED,
    Stage.DOCUMENTS, Stage.VISA_ASYLUM, Stage.DEPARTED, Stage.RESETTLED,
]
EXITS = [Stage.DECLINED, Stage.LOST_CONTACT, Stage.DETAINED, Stage.RETURNED, Stage.DECEASED, Stage.CLOSED]


class CodeCounter(models.Model):
    """The last number handed out per organisation and kind of code.

    A row lock on this counter makes two simultaneous intakes get different codes;
    taking MAX(code) instead races, and sorts "K-9999" after "K-10000".
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "kind"], name="code_counter_unique")]


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="cases")
    code = models.CharField(max_length=16)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases")
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.CONTACTED, db_index=True)
    stage_since = models.DateTimeField(default=timezone.now)
    # The furthest step of the journey ever reached (index into JOURNEY), so the
    # funnel is one GROUP BY even for cases that later left through an exit.
    reached = models.PositiveSmallIntegerField(default=0)
    worker = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    summary = EncryptedField(key_attr="data_key")
    # The route and travel plan for leaving the region: who drives, which roads,
    # where the checkpoints are. Encrypted like everything that helps a pursuer.
    travel_plan = EncryptedField(key_attr="data_key")
    # What triage knew when the case was opened from a contact: its reference and
    # channel, the story as the person told it, every vetting decision and, if a
    # coordinator accepted without vetting, why. Kept under the person's key so it
    # survives the contact's erasure and moves with a referral.
    intake = EncryptedField(key_attr="data_key")
    # Safety check-ins for people in transit or hiding; the next due time is in
    # clear so the alert sweep is one indexed query.
    checkin_every_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    next_checkin_due = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    opened = models.DateTimeField(default=timezone.now)
    closed = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="case_code_unique")]
        # Covering indexes (they end with the columns the query reads), so a list page
        # or a board aggregate over 100,000 cases never reads the wide rows with the
        # encrypted fields. Lists page by id first, then load the 50 rows.
        indexes = [
            models.Index(fields=["organisation", "-opened", "id"], name="case_org_opened"),
            models.Index(fields=["organisation", "stage", "-opened", "id"], name="case_org_stage_opened"),
            models.Index(fields=["organisation", "worker", "-opened", "id"], name="case_org_worker_opened"),
            models.Index(fields=["organisation", "stage", "reached", "stage_since"], name="case_pipeline"),
            models.Index(fields=["organisation", "worker", "stage"], name="case_caseload"),
            models.Index(fields=["next_checkin_due"], name="case_checkin_due"),
            # The staff home's "check-ins due" within one organisation, without
            # walking the organisation's other cases.
            models.Index(fields=["organisation", "next_checkin_due"], name="case_org_checkin_due"),
            # A board filtered by period groups the cases opened in it, index-only:
            # the id is in it for the locked-case test every list makes, which on
            # SQLite (where the id is not the row id) read every wide row otherwise,
            # and without it the planner walked the whole organisation instead.
            models.Index(fields=["organisation", "opened", "stage", "reached", "stage_since", "worker", "id"],
                         name="case_org_opened_period"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def data_key(self):
        return self.person.data_key

    @property
    def audit_id(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.stage not in EXITS and self.stage != Stage.RESETTLED

    @property
    def is_exit(self) -> bool:
        return self.stage in EXITS

    @property
    def stage_label(self) -> str:
        return Stage(self.stage).label

    @property
    def days_in_stage(self) -> int:
        return max(0, (timezone.now() - self.stage_since).days)

    @property
    def checkin_overdue(self) -> bool:
        return bool(self.next_checkin_due and self.next_checkin_due < timezone.now())


class StageChange(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    actor = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    recorded = models.DateTimeField(default=timezone.now)
    reason = EncryptedField()

    class Meta:
        ordering = ["at"]

    @property
    def data_key(self):
        return self.case.person.data_key


class ChecklistTick(models.Model):
    """One done item of a stage checklist (see `corridor.cases.checklists`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="ticks")
    key = models.CharField(max_length=32)
    done_at = models.DateTimeField(default=timezone.now)
    done_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="checklist_tick_unique")]


class Note(models.Model):
    """A line of the case timeline written by a person: a note, a call, a move."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CALL = "call", _("Call")
        MESSAGE = "message", _("Message")
        MEETING = "meeting", _("Meeting")
        MOVE = "move", _("Move")
        DECISION = "decision", _("Decision")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.NOTE)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    text = EncryptedField()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["case", "-at"])]

    @property
    def data_key(self):
        return self.case.person.data_key
