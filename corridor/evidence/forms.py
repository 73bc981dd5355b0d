"""Forms of the evidence app. Choices are always limited to the user's organisation."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from corridor.accounts.models import User
from corridor.crypto.keys import preload
from corridor.evidence import selectors
from corridor.evidence.models import (
    Audience,
    Body,
    DatePrecision,
    FilingStatus,
    Involvement,
    Partner,
    Reliability,
    StepKind,
    Vocabulary,
)
from corridor.evidence.services.files import TRANSFER_METHODS, TRANSFER_TO

LANGUAGES = [("ru", _("Russian")), ("ce", _("Chechen")), ("en", _("English")), ("other", _("Other"))]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PERPETRATOR_ROWS = 3


class _Labelled(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class _LabelledMany(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class _CodeTitle(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.code} · {obj.title}"


class _CodeName(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.code} · {obj.name}"


def _decryptable(qs):
    """Unwrap the rows' keys in one agent round trip before labels decrypt them."""
    rows = list(qs)
    preload([r.data_key for r in rows])
    return qs


class TestimonyForm(forms.Form):
    person = forms.ModelChoiceField(queryset=None, required=False, label=_("Witness (pseudonym)"))
    source_label = forms.CharField(
        required=False, max_length=500, label=_("Anonymous source"),
        help_text=_("If the witness is not one of our people, describe the source without naming them."),
    )
    language = forms.ChoiceField(choices=LANGUAGES, label=_("Language"))
    interviewer = forms.ModelChoiceField(queryset=None, label=_("Interviewer"))
    interviewed_on = forms.DateField(widget=DATE, label=_("Date of interview"))
    transcript = forms.CharField(widget=forms.Textarea, label=_("Transcript"))
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label=_("Summary"))
    consent_public = forms.BooleanField(required=False, label=_("May be used, anonymised, in public reports"))
    consent_legal = forms.BooleanField(required=False, label=_("May be used with the witness named in legal proceedings"))
    consent_partners = forms.MultipleChoiceField(
        choices=Partner.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label=_("May be shared with"),
    )
    consent_note = forms.CharField(required=False, max_length=1000, label=_("Conditions of consent"),
                                   help_text=_("For example, which journalist, or until when."))

    def __init__(self, *args, user, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = selectors.people_for(user)
        self.fields["interviewer"].queryset = User.objects.filter(organisation_id=user.organisation_id, is_active=True)
        if editing:
            del self.fields["person"]
            del self.fields["interviewer"]

    def clean(self):
        data = super().clean()
        if "person" in self.fields and not data.get("person") and not (data.get("source_label") or "").strip():
            raise forms.ValidationError(_("Name the witness by pseudonym, or describe the anonymous source."))
        return data


class ViolationForm(forms.Form):
    title = forms.CharField(max_length=300, label=_("Title"))
    description = forms.CharField(widget=forms.Textarea, required=False, label=_("Description"))
    starts = forms.DateField(widget=DATE, required=False, label=_("Start date"))
    starts_precision = forms.ChoiceField(choices=DatePrecision.choices, label=_("Precision of the start date"))
    ends = forms.DateField(widget=DATE, required=False, label=_("End date"))
    ends_precision = forms.ChoiceField(choices=DatePrecision.choices, label=_("Precision of the end date"))
    place = _Labelled(queryset=None, required=False, label=_("Place"))
    wave = _Labelled(queryset=None, required=False, label=_("Wave"),
                     help_text=_("Leave empty to take the wave that contains the start date."))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = _decryptable(selectors.places_for(user))
        self.fields["wave"].queryset = selectors.waves_for(user.organisation)

    def clean(self):
        data = super().clean()
        if data.get("starts") and data.get("ends") and data["ends"] < data["starts"]:
            self.add_error("ends", _("The end date is before the start date."))
        return data


class ActForm(forms.Form):
    act_type = _Labelled(queryset=None, label=_("Type of act"))
    victim = forms.ModelChoiceField(queryset=None, required=False, label=_("Victim (pseudonym)"),
                                    help_text=_("Leave empty for an unnamed victim and describe them below."))
    victim_label = forms.CharField(required=False, max_length=300, label=_("Unnamed victim"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label=_("What was done"))
    places = _LabelledMany(queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label=_("Places"))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["act_type"].queryset = selectors.terms_for(user.organisation, Vocabulary.ACT_TYPE)
        self.fields["victim"].queryset = selectors.people_for(user)
        self.fields["places"].queryset = _decryptable(selectors.places_for(user))
        perpetrators = _decryptable(selectors.perpetrators_for(user))
        for i in range(1, PERPETRATOR_ROWS + 1):
            self.fields[f"perpetrator_{i}"] = _Labelled(queryset=perpetrators, required=False,
                                                        label=_("Perpetrator %(n)s") % {"n": i})
            self.fields[f"involvement_{i}"] = forms.ChoiceField(
                choices=[("", "—"), *Involvement.choices], required=False, label=_("Involvement %(n)s") % {"n": i}
            )

    def clean(self):
        data = super().clean()
        pairs = []
        for i in range(1, PERPETRATOR_ROWS + 1):
            perpetrator, involvement = data.get(f"perpetrator_{i}"), data.get(f"involvement_{i}")
            if perpetrator and not involvement:
                self.add_error(f"involvement_{i}", _("Say how this perpetrator was involved."))
            elif perpetrator:
                pairs.append((perpetrator, involvement))
        if len({p.pk for p, _ in pairs}) != len(pairs):
            raise forms.ValidationError(_("Each perpetrator once, please."))
        data["perpetrators"] = pairs
        return data


class SourceForm(forms.Form):
    act = forms.ModelChoiceField(queryset=None, required=False, label=_("Act"),
                                 empty_label=_("The whole event"))
    testimony = forms.ModelChoiceField(queryset=None, required=False, label=_("Testimony"))
    file = forms.ModelChoiceField(queryset=None, required=False, label=_("Document"))
    reliability = forms.ChoiceField(choices=Reliability.choices, label=_("Reliability"))
    note = forms.CharField(required=False, max_length=1000, label=_("Note"))

    def __init__(self, *args, user, event, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        acts = event.acts.select_related("act_type", "victim")
        self.fields["act"].queryset = acts
        self.fields["act"].label_from_instance = lambda a: f"{a.act_type} · {a.victim or a.victim_label or '—'}"
        self.fields["testimony"].queryset = selectors.testimonies_for(user)
        self.fields["testimony"].label_from_instance = lambda t: f"{t.code} · {t.person or _('anonymous source')}"
        self.fields["file"].queryset = selectors.files_for(user)
        self.fields["file"].label_from_instance = lambda f: f"{f.code} · {f.kind}"

    def clean(self):
        data = super().clean()
        if bool(data.get("testimony")) == bool(data.get("file")):
            raise forms.ValidationError(_("Choose either a testimony or a document."))
        return data


class PlaceForm(forms.Form):
    name = forms.CharField(max_length=300, label=_("Name"))
    kind = _Labelled(queryset=None, label=_("Kind"))
    unofficial = forms.BooleanField(required=False, label=_("Unofficial detention site"))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = selectors.terms_for(user.organisation, Vocabulary.PLACE_KIND)


class PerpetratorForm(forms.Form):
    name = forms.CharField(max_length=300, label=_("Name or description"))
    kind = _Labelled(queryset=None, label=_("Kind"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Details"))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = selectors.terms_for(user.organisation, Vocabulary.PERPETRATOR_KIND)


class TermForm(forms.Form):
    vocabulary = forms.ChoiceField(choices=Vocabulary.choices, label=_("Vocabulary"))
    label_ru = forms.CharField(max_length=200, label=_("In Russian"))
    label_en = forms.CharField(max_length=200, label=_("In English"))


class WaveForm(forms.Form):
    name_ru = forms.CharField(max_length=120, label=_("Name in Russian"))
    name_en = forms.CharField(max_length=120, label=_("Name in English"))
    starts = forms.DateField(widget=DATE, label=_("Starts"))
    ends = forms.DateField(widget=DATE, label=_("Ends"))


class UploadForm(forms.Form):
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000,
                                  label=_("Description"))


class TransferForm(forms.Form):
    to = forms.ChoiceField(label=_("Handed to"), choices=[
        (code, label) for code, label in zip(TRANSFER_TO, [
            _("Court or prosecutor"), _("European Court of Human Rights"), _("OSCE"), _("UN body"),
            _("International Criminal Court"), _("Journalist"), _("Partner organisation"),
        ], strict=True)
    ])
    method = forms.ChoiceField(label=_("How"), choices=[
        (code, label) for code, label in zip(TRANSFER_METHODS, [
            _("In person"), _("Courier"), _("Secure upload"), _("Evidence bundle"),
        ], strict=True)
    ])


class FilingForm(forms.Form):
    body = forms.ChoiceField(choices=Body.choices, label=_("Body"))
    status = forms.ChoiceField(choices=FilingStatus.choices, label=_("Status"))
    title = forms.CharField(max_length=300, label=_("Title"))
    reference = forms.CharField(max_length=200, required=False, label=_("Reference or application number"))
    final_decision_on = forms.DateField(
        widget=DATE, required=False, label=_("Final domestic decision"),
        help_text=_("For the ECHR: the date the applicant or their lawyer learnt of the final decision. "
                    "The four-month limit is counted from it."),
    )
    lodged_on = forms.DateField(widget=DATE, required=False, label=_("Lodged on"))
    next_deadline = forms.DateField(widget=DATE, required=False, label=_("Next deadline"))
    next_step = forms.CharField(max_length=300, required=False, label=_("What is due then"))
    events = _CodeTitle(queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label=_("Events"))
    people = forms.ModelMultipleChoiceField(queryset=None, required=False, label=_("People (pseudonyms)"))
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label=_("Notes"))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["events"].queryset = _decryptable(selectors.events_for(user))
        self.fields["people"].queryset = selectors.people_for(user)


class FilingStepForm(forms.Form):
    on = forms.DateField(widget=DATE, label=_("Date"))
    kind = forms.ChoiceField(choices=StepKind.choices, label=_("Kind"))
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Details"))
    next_deadline = forms.DateField(widget=DATE, required=False, label=_("Next deadline"))
    next_step = forms.CharField(max_length=300, required=False, label=_("What is due then"))


class BundleForm(forms.Form):
    audience = forms.ChoiceField(choices=Audience.choices, label=_("Who receives it"),
                                 help_text=_("Only testimonies whose consent covers this recipient are included."))
    recipients = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "class": "mono"}), label=_("Recipients' age public keys"),
        help_text=_("One per line, starting with age1. Only these keys can open the bundle."),
    )
    events = _CodeTitle(queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label=_("Events"))
    files = _CodeName(queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label=_("Files"))
    purpose = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Purpose"),
                              help_text=_("Why this export, for the person who approves it."))

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["events"].queryset = _decryptable(selectors.events_for(user))
        self.fields["files"].queryset = _decryptable(selectors.files_for(user))

    def clean(self):
        data = super().clean()
        if not data.get("events") and not data.get("files"):
            raise forms.ValidationError(_("Choose at least one event or file."))
        return data
