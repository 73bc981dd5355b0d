"""Forms of the public intake and of triage. Text goes through `text.clean`, which
gives each kind of bad input its own message in the person's language."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from corridor.intake import conf, text
from corridor.intake.models import (
    DECISIONS,
    Channel,
    ContactLink,
    RiskFlag,
    Status,
    Urgency,
    VettingItem,
    VettingOutcome,
)
from corridor.web.fields import IdentifierField, normalise_for_form

SHORT = 2000

PUBLIC_URGENCY = [
    (Urgency.NOW, _("I am in danger right now")),
    (Urgency.SOON, _("Help is needed in the next few days")),
    (Urgency.LOW, _("Not urgent, but I need help")),
]


class _Text(forms.CharField):
    """A CharField whose limit and checks are `text.clean`'s (so the messages are ours)."""

    def __init__(self, *args, limit: int | None = None, public: bool = False, **kwargs) -> None:
        self.limit = limit
        self.public = public  # the applicant's forms, whose messages may mention the receipt
        kwargs.setdefault("strip", False)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        return text.clean(value, limit=self.limit or conf.max_text_chars(), required=self.required,
                          public=self.public)


class IntakeForm(forms.Form):
    what = _Text(
        public=True, label=_("What happened?"),
        help_text=_("In your own words; a few lines are enough. You do not have to give names or addresses."),
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off", "spellcheck": "false"}),
    )
    where = _Text(
        public=True, label=_("Where are you now?"), required=False, limit=SHORT,
        help_text=_("A town or region is enough."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    urgency = forms.TypedChoiceField(
        label=_("How urgent is it?"), choices=PUBLIC_URGENCY, coerce=int, widget=forms.RadioSelect,
        error_messages={"required": _("Please choose how urgent it is.")},
    )
    reach = _Text(
        public=True, label=_("How can we reach you safely?"), required=False, limit=SHORT,
        help_text=_("For example Telegram, Signal or a phone number, and when it is safe to call. "
                    "If no way is safe, leave this empty: our answer will wait for you here, under your receipt."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt"), max_length=200,
        help_text=_("The numbers you got after writing to us, for example +7 912 345-67-89, +7 987 654-32-10 ext. 123."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel", "spellcheck": "false"}),
        error_messages={"required": _("Please enter your receipt.")},
    )


class FollowUpForm(forms.Form):
    text = _Text(public=True, label=_("Write to us again"), widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off"}),
                 help_text=_("Only we can read it."))


# --- staff -------------------------------------------------------------------------
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]


def when_field(label):
    """When something happened, typed in the user's time zone; empty means now."""
    return forms.DateTimeField(
        label=label, required=False, input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now. Give the real date when you write it up later."))


class FlagsMixin(forms.Form):
    flags = forms.MultipleChoiceField(label=_("Risk"), choices=RiskFlag.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int)


class RecordForm(FlagsMixin):
    channel = forms.ChoiceField(label=_("How did they reach us?"),
                                choices=[c for c in Channel.choices if c[0] != Channel.WEB])
    what = _Text(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 8}))
    where = _Text(label=_("Where they are now"), required=False, limit=SHORT)
    reach = _Text(label=_("How to reach them safely"), required=False, limit=SHORT,
                  help_text=_("Times, code words, who may answer the phone."))
    partner = _Text(label=_("Referred by (partner organisation)"), required=False, limit=200)
    phone = IdentifierField("phone", label=_("Phone number"), required=False, max_length=40)
    handle = IdentifierField("handle", label=_("Messenger handle"), required=False, max_length=80,
                             help_text=_("Telegram or other @name."))
    email = IdentifierField("email", label=_("E-mail"), required=False, max_length=200)
    received = when_field(_("When they contacted us"))
    field_order = ["channel", "received", "what", "where", "reach", "partner", "phone", "handle", "email", "urgency",
                   "flags"]

    def clean(self):
        data = super().clean()
        if data.get("channel") == Channel.REFERRAL and not data.get("partner"):
            self.add_error("partner", _("Say which partner referred them."))
        return data


class FlagsForm(FlagsMixin):
    pass


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    reason = _Text(label=_("Why"), required=False, limit=SHORT, widget=forms.Textarea(attrs={"rows": 2}),
                   help_text=_("Required for a suspected provocation."))

    def __init__(self, *args, can_decide: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = [c for c in Status.choices if can_decide or c[0] not in DECISIONS]
        # Accepting happens by opening a case, which creates the person.
        self.fields["status"].choices = [c for c in allowed if c[0] != Status.ACCEPTED]


class VettingForm(forms.Form):
    item = forms.ChoiceField(label=_("Check"), choices=VettingItem.choices)
    outcome = forms.ChoiceField(label=_("Result"), choices=VettingOutcome.choices)
    note = _Text(label=_("Note"), required=False, limit=SHORT, widget=forms.Textarea(attrs={"rows": 2}),
                 help_text=_("Required when you judge them a provocateur."))


class NotesForm(forms.Form):
    notes = _Text(label=_("Internal notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class ReplyForm(forms.Form):
    text = _Text(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 4}),
                 help_text=_("Sealed to the person's receipt. The team keeps its own copy, locked with this contact's key, "
                             "so colleagues see what was said."))


class IdentifierForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("phone", _("Phone")), ("handle", _("Messenger handle")),
                                                       ("email", _("E-mail")), ("passport", _("Passport number"))])
    value = forms.CharField(label=_("Value"), max_length=200)

    def clean(self):
        data = super().clean()
        if data.get("kind") and data.get("value"):
            try:
                data["value"] = normalise_for_form(data["kind"], data["value"])
            except ValidationError as exc:
                self.add_error("value", exc)
        return data


class LinkForm(forms.Form):
    other = forms.ChoiceField(label=_("Other contact"))
    relation = forms.ChoiceField(label=_("Relation"), choices=ContactLink.Relation.choices)

    def __init__(self, *args, candidates=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["other"].choices = [(str(c.pk), contact_choice_label(c)) for c in candidates]


def _day(moment) -> str:
    return date_format(timezone.localtime(moment).date(), "SHORT_DATE_FORMAT")


def contact_choice_label(contact) -> str:
    """Enough to choose the right one at 2 a.m.: danger, where from, last activity."""
    parts = [contact.ref, str(contact.get_urgency_display())]
    if contact.flag_detained:
        parts.append(str(_("detained")))
    if contact.flag_exposed:
        parts.append(str(_("exposed")))
    where = ""
    if contact.data_key_id and contact.summary:
        where = (contact.summary.get("where") or "").strip()
    parts.append(where[:40] if where else str(_("place not given")))
    parts.append(str(_("last activity %(day)s")) % {"day": _day(contact.last_activity)})
    return " · ".join(parts)


def case_choice_label(case) -> str:
    """Pseudonym, where the person is, danger, when someone last did something on
    the case (`.last_activity` from the picker, else its stage change), then the
    stage and who holds it: two people from the same town still differ by date and
    worker."""
    region = getattr(case, "region", "")
    parts = [case.code, region[:40] if region else str(_("region not given")),
             str(_("risk %(n)s")) % {"n": case.person.risk},
             str(_("last activity %(day)s")) % {"day": _day(getattr(case, "last_activity", case.stage_since))},
             str(case.get_stage_display()),
             str(case.worker) if case.worker else str(_("no case worker"))]
    return " · ".join(parts)


class LinkCaseForm(forms.Form):
    case = forms.ChoiceField(label=_("Existing case"))
    # The search the list was narrowed by, so the choice is checked against it.
    q = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    def __init__(self, *args, candidates=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].choices = [(c.code, case_choice_label(c)) for c in candidates]


class OpenCaseForm(forms.Form):
    name = _Text(label=_("Name (as they gave it)"), required=False, limit=200)
    name_latin = _Text(label=_("Name in Latin letters (as in the passport)"), required=False, limit=200)
    known_as = _Text(label=_("Known as"), required=False, limit=200)
    phone = IdentifierField("phone", label=_("Phone number"), required=False, max_length=40)
    summary = _Text(label=_("Case summary"), required=False, limit=SHORT, widget=forms.Textarea(attrs={"rows": 3}))
    worker = forms.ChoiceField(label=_("Case worker"), required=False)
    when = when_field(_("Accepted on"))
    override = _Text(label=_("Open the case without vetting: why"), required=False, limit=SHORT,
                     widget=forms.Textarea(attrs={"rows": 2}),
                     help_text=_("Kept with the case and shown to coordinators."))

    def __init__(self, *args, workers=(), needs_override: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["worker"].choices = [("", _("Not yet assigned"))] + [(str(w.pk), str(w)) for w in workers]
        if not needs_override:
            del self.fields["override"]

