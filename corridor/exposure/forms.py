from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from corridor.exposure.models import Kind, Purpose
from corridor.web.fields import KindAndValueForm

REASONS = {
    "not_phone": _("not a possible phone number"),
    "no_identifier": _("no phone number, handle or e-mail address found"),
    "bad_handle": _("not a messenger handle"),
    "bad_email": _("not an e-mail address"),
    "csv_syntax": _("the CSV is broken here (perhaps an unclosed quote)"),
    "too_long": _("the line is too long"),
    "vcard_syntax": _("this vCard cannot be read"),
    "vcard_unclosed": _("a vCard starts here but never ends (END:VCARD missing)"),
    "outside_vcard": _("text outside any vCard"),
}
LIST_ERRORS = {
    "binary": _("This file is not text (perhaps a photo or an archive). Export the contacts as CSV or vCard."),
    "encoding": _("This file's text encoding cannot be read. Save it as UTF-8 and try again."),
    "too_many_lines": _("The list has more than 200,000 lines. Split it and import the parts."),
    "too_large": _("The file is larger than 20 MB."),
    "too_many": _("Import one file at a time."),
    "empty": _("Choose a file or paste the list."),
}


class ImportForm(forms.Form):
    purpose = forms.ChoiceField(label=_("What is this list?"), choices=Purpose.choices, widget=forms.RadioSelect,
                                initial=Purpose.SEIZED)
    label = forms.CharField(label=_("Label"), required=False, max_length=200,
                            help_text=_("For example whose phone it came from; stored encrypted."))
    file = forms.FileField(label=_("File (CSV, vCard or text)"), required=False)
    text = forms.CharField(label=_("Or paste it, one entry per line"), required=False,
                           widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}))

    def clean(self):
        data = super().clean()
        if not data.get("file") and not (data.get("text") or "").strip():
            raise forms.ValidationError(LIST_ERRORS["empty"], code="empty")
        return data


class ProvocateurForm(KindAndValueForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    value = forms.CharField(label=_("Identifier"), max_length=200)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("What happened with them; stored encrypted."))
