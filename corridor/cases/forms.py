"""Forms of the case pages. They only parse and check shapes; the services decide."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.cases.models import (
    Application,
    CheckIn,
    Country,
    Document,
    Note,
    PersonIdentifier,
    Programme,
    Referral,
    Relative,
    Service,
    Stage,
    TransferPart,
)
from corridor.cases.models.people import Gender, HouseholdRole
from corridor.web.fields import IdentifierField, KindAndValueForm, in_your_zone

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]


def text(label, *, rows: int = 3, required: bool = False, max_length: int = 20000, help_text=""):
    return forms.CharField(label=label, required=required, max_length=max_length, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": rows}))


WHEN = _("When")
NOW_IF_EMPTY = _("Leave empty for now.")


def when(label=WHEN, help_text=NOW_IF_EMPTY):
    return forms.DateTimeField(label=label, required=False, widget=DATETIME, input_formats=DATETIME_FORMATS,
                               help_text=in_your_zone(help_text))


class CountryField(forms.ModelChoiceField):
    """Countries listed in the alphabetical order of the language the form is shown in."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Country.objects.all(), **kwargs)

    def _get_queryset(self):
        return None if self._queryset is None else self._queryset.by_name()

    queryset = property(_get_queryset, forms.ModelChoiceField._set_queryset)


class VersionMixin(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class IdentityForm(forms.Form):
    name_cyrillic = forms.CharField(label=_("Name in Cyrillic"), max_length=200, required=False)
    name_latin = forms.CharField(label=_("Name in Latin letters"), max_length=200, required=False,
                                 help_text=_("As in the international passport, if there is one."))
    aliases = forms.CharField(label=_("Other names and nicknames"), max_length=400, required=False,
                              help_text=_("Separate with commas."))
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DATE)
    gender_identity = forms.ChoiceField(label=_("Gender identity"), choices=[("", "—"), *Gender.choices],
                                        required=False)
    languages = forms.CharField(label=_("Languages"), max_length=200, required=False,
                                help_text=_("For example: Russian, Chechen."))
    health = text(_("Health"), rows=2, help_text=_("What helpers must know: medication, injuries, allergies."))

    def clean(self):
        data = super().clean()
        if not (data.get("name_cyrillic") or data.get("name_latin") or data.get("aliases")):
            raise forms.ValidationError(_("Give at least one name or nickname."))
        dob = data.get("date_of_birth")
        if dob and dob > timezone.localdate():
            self.add_error("date_of_birth", _("This date is in the future."))
        return data

    def identity(self) -> dict:
        d = self.cleaned_data
        return {
            "name_cyrillic": d.get("name_cyrillic", ""), "name_latin": d.get("name_latin", ""),
            "aliases": [a.strip() for a in (d.get("aliases") or "").split(",") if a.strip()],
            "date_of_birth": d["date_of_birth"].isoformat() if d.get("date_of_birth") else "",
            "gender_identity": d.get("gender_identity", ""),
            "languages": [a.strip() for a in (d.get("languages") or "").split(",") if a.strip()],
            "health": d.get("health", ""),
        }

    @staticmethod
    def initial_from(identity: dict) -> dict:
        identity = identity if isinstance(identity, dict) else {}
        return {**identity, "aliases": ", ".join(identity.get("aliases") or []),
                "languages": ", ".join(identity.get("languages") or [])}


class PersonFieldsForm(IdentityForm):
    phone = IdentifierField("phone", label=_("Phone"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    risk = forms.TypedChoiceField(label=_("Risk"), coerce=int, initial=3,
                                  choices=[(i, str(i)) for i in range(1, 6)],
                                  help_text=_("1 low … 5 extreme (hunted now)."))
    notes = text(_("Notes about the person"), rows=3)


class NewCaseForm(PersonFieldsForm):
    summary = text(_("What happened, in short"), rows=4)
    opened = when(_("First contact"), help_text=_("Leave empty for now. Give the real date when you write it up "
                                                  "later."))
    worker = forms.ChoiceField(label=_("Case worker"), required=False)

    def __init__(self, *args, workers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if workers is None:
            del self.fields["worker"]
        else:
            self.fields["worker"].choices = [("", _("Nobody yet"))] + [(str(w.pk), str(w)) for w in workers]


class PersonEditForm(VersionMixin, PersonFieldsForm):
    pass


class CaseEditForm(VersionMixin):
    summary = text(_("What happened, in short"), rows=5)
    travel_plan = text(_("Route and travel plan"), rows=5,
                       help_text=_("Who drives, which roads, where the checkpoints are, where they sleep."))


class TransitionForm(VersionMixin):
    to_stage = forms.ChoiceField(label=_("Move to"))
    at = when(help_text=_("Leave empty for now. A date before the current stage began records a step that was "
                          "missed, in its place in the history."))
    reason = text(_("Why"), rows=2, required=True, max_length=4000)

    def __init__(self, *args, targets=(), earlier=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices: list = [(s, Stage(s).label) for s in targets]
        if earlier:
            choices.append((_("A missed earlier step (give its date)"), [(s, Stage(s).label) for s in earlier]))
        self.fields["to_stage"].choices = choices


class AssignForm(VersionMixin):
    worker = forms.ChoiceField(label=_("Case worker"), required=False)

    def __init__(self, *args, workers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].choices = [("", _("Nobody"))] + [(str(w.pk), str(w)) for w in workers]


class NoteForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Note.Kind.choices, initial=Note.Kind.NOTE)
    text = text(_("Text"), rows=3, required=True)
    at = when()


class ScheduleForm(forms.Form):
    every_hours = forms.TypedChoiceField(
        label=_("Check in every"), coerce=int, empty_value=None, required=False,
        choices=[("", _("No check-ins")), (2, _("2 hours")), (4, _("4 hours")), (6, _("6 hours")),
                 (8, _("8 hours")), (12, _("12 hours")), (24, _("day")), (48, _("2 days"))])
    first_due = forms.DateTimeField(label=_("First check-in due"), required=False, widget=DATETIME,
                                    input_formats=DATETIME_FORMATS,
                                    help_text=in_your_zone(_("Empty: one interval from now.")))


class CheckInForm(forms.Form):
    status = forms.ChoiceField(label=_("State"), choices=CheckIn.Status.choices, initial=CheckIn.Status.OK,
                               widget=forms.RadioSelect)
    channel = forms.ChoiceField(label=_("How"), choices=CheckIn.Channel.choices)
    note = text(_("Note"), rows=2)
    at = when()


class ServiceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Service"), choices=Service.Kind.choices)
    provider = forms.CharField(label=_("Provider"), max_length=400, required=False,
                               help_text=_("Clinic, lawyer, shop… encrypted."))
    started = forms.DateField(label=_("Started"), widget=DATE, initial=timezone.localdate)
    ended = forms.DateField(label=_("Ended"), widget=DATE, required=False)
    cost = forms.DecimalField(label=_("Cost"), max_digits=12, decimal_places=2, required=False, min_value=0)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="RUB", required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Service.Outcome.choices)
    details = text(_("Details"), rows=2)


class ServiceUpdateForm(forms.Form):
    ended = forms.DateField(label=_("Ended"), widget=DATE, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Service.Outcome.choices)
    cost = forms.DecimalField(label=_("Cost"), max_digits=12, decimal_places=2, required=False, min_value=0)
    details = text(_("Details"), rows=2)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=Document.Kind.choices)
    status = forms.ChoiceField(label=_("Status"), choices=Document.Status.choices)
    number = forms.CharField(label=_("Number"), max_length=40, required=False,
                             help_text=_("Encrypted; searchable only by the exact number."))
    issued = forms.DateField(label=_("Issued"), widget=DATE, required=False)
    expires = forms.DateField(label=_("Expires"), widget=DATE, required=False)
    problems = text(_("Problems"), rows=2)


class DocumentUpdateForm(DocumentForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"]


class WantedForm(forms.Form):
    wanted = forms.BooleanField(label=_("On a wanted list"), required=False)
    note = text(_("Which list, since when, what charge"), rows=2)


class ApplicationForm(forms.Form):
    country = CountryField(label=_("Country"))
    programme = forms.ChoiceField(label=_("Programme"), choices=Programme.choices)
    embassy = forms.ChoiceField(label=_("Embassy"), required=False)
    submitted = forms.DateField(label=_("Submitted"), widget=DATE, initial=timezone.localdate)
    notes = text(_("Notes"), rows=2)

    def __init__(self, *args, embassies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["embassy"].choices = [("", "—")] + [(str(e.pk), str(e)) for e in embassies]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Application.Decision.choices)
    decided = forms.DateField(label=_("Decided on"), widget=DATE, required=False)
    notes = text(_("Notes"), rows=2)


class RelativeForm(forms.Form):
    relation = forms.ChoiceField(label=_("Relation"), choices=Relative.Relation.choices)
    danger = forms.ChoiceField(label=_("Danger"), choices=Relative.Danger.choices, initial=Relative.Danger.UNKNOWN)
    details = text(_("Name, where they live, what they did or threatened"), rows=2)


class IdentifierForm(KindAndValueForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=PersonIdentifier.Kind.choices)
    value = forms.CharField(label=_("Number or handle"), max_length=80)
    label = forms.CharField(label=_("Label"), max_length=40, required=False,
                            help_text=_("For example: Telegram, second SIM."))


class MemberForm(IdentityForm):
    role = forms.ChoiceField(label=_("Role in the household"),
                             choices=[c for c in HouseholdRole.choices if c[0] != HouseholdRole.HEAD])
    phone = IdentifierField("phone", label=_("Phone"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))


class BreakGlassForm(forms.Form):
    reason = text(_("Why do you need to open this case?"), rows=3, required=True, max_length=2000,
                  help_text=_("Coordinators read every reason. Opening lasts for 8 hours."))


class ExportRequestForm(forms.Form):
    purpose = forms.CharField(label=_("What is the export for?"), max_length=200)
    include_names = forms.BooleanField(label=_("Include names (decrypted)"), required=False,
                                       help_text=_("Only when really needed. Limited to 2,000 people."))


class ReferralForm(forms.Form):
    to_org = forms.ChoiceField(label=_("Refer to"))
    consent = forms.ChoiceField(label=_("Consent"), choices=Referral.Consent.choices, widget=forms.RadioSelect)
    consent_at = forms.DateField(label=_("Consent given on"), widget=DATE, initial=timezone.localdate)
    note = text(_("Note for the receiving coordinator"), rows=4,
                help_text=_("They read this before deciding; they see nothing else of the case until they accept."))

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_org"].choices = [(str(o.pk), o.name) for o in organisations]


class DeclineForm(forms.Form):
    reason = text(_("Why not?"), rows=3, required=True)


class EmbassyForm(forms.Form):
    country = CountryField(label=_("Country"))
    city = forms.CharField(label=_("City"), max_length=80)
    contacts = text(_("Contacts"), rows=4, help_text=_("Names, phones, e-mail of the people we deal with. Encrypted."))


class ContactForm(forms.Form):
    on = forms.DateField(label=_("Contacted on"), widget=DATE, initial=timezone.localdate)


class ResolveForm(forms.Form):
    note = text(_("What happened"), rows=2)


class ErasureRequestForm(forms.Form):
    reason = forms.CharField(label=_("Why must this person be erased?"), max_length=2000, widget=forms.Textarea(
        attrs={"rows": 3}), help_text=_("The approver reads it. It is erased together with the person."))
    include_household = forms.BooleanField(label=_("Erase the household members' records too"), required=False)
    confirm = forms.BooleanField(label=_("I understand that this cannot be undone"), required=True)


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("Organisation"), max_length=120)
    recipient = forms.CharField(label=_("Its age public key"), max_length=100,
                                help_text=_("Starts with “age1”; their administrator reads it on their Partners page."))
    log_key = forms.CharField(label=_("Its log key"), max_length=300,
                              help_text=_("Used to check the packages it sends; compare it with them by phone."))


class TransferConsentForm(forms.Form):
    partner = forms.ChoiceField(label=_("Transfer to"))
    how = forms.ChoiceField(label=_("How the person agreed"), choices=Referral.Consent.choices,
                            widget=forms.RadioSelect)
    given_on = forms.DateField(label=_("Consent given on"), widget=DATE, initial=timezone.localdate)

    def __init__(self, *args, partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [(str(p.pk), p.name) for p in partners]


class TransferRequestForm(forms.Form):
    partner = forms.ChoiceField(label=_("Send to"))
    parts = forms.MultipleChoiceField(label=_("What goes"), choices=TransferPart.choices,
                                      widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, partners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [(str(p.pk), p.name) for p in partners]


class TransferImportForm(forms.Form):
    package = forms.FileField(label=_("Package (.age) received from a partner"))
