from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from corridor.accounts.permissions import Role

# The browser's response to the ceremony, filled in by accounts/webauthn.js.
_response = forms.CharField(required=False, max_length=64 * 1024, widget=forms.HiddenInput)


class KeyRegisterForm(forms.Form):
    name = forms.CharField(label=_("Name for this key"), max_length=64,
                           help_text=_("For example: blue key on my keyring, or work laptop."),
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
    credential = _response


class KeyResponseForm(forms.Form):
    credential = _response


class KeyRemoveCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"), max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}),
    )


class KeyRequirementForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles that must sign in with a security key"), choices=Role.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
