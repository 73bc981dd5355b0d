from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AcknowledgeAlertForm(forms.Form):
    note = forms.CharField(
        label=_("What you found and did"), max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the alert for other administrators. No names or case details."),
    )
