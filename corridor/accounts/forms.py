from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from corridor.accounts.permissions import Role
from corridor.accounts.timezones import zone_choices


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=64,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("Password"), max_length=512, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    # Shown (and needed) only while the name is locked after failures: then password
    # and code go together, so an attacker's guesses cannot keep the owner out.
    code = forms.CharField(label=_("Six-digit code from your authenticator app"), max_length=12, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                         "pattern": "[0-9 ]*"}))


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"), max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True, "pattern": "[0-9 ]*"}),
    )


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=64)
    display_name = forms.CharField(label=_("Display name"), max_length=120, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    password = forms.CharField(label=_("Temporary password"), max_length=512, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("At least 12 characters. Give it to the person in private."))


class UserEditForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=120, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False)


class PasswordChangeForm(forms.Form):
    current = forms.CharField(label=_("Current password"), strip=False, widget=forms.PasswordInput)
    new = forms.CharField(label=_("New password"), strip=False, widget=forms.PasswordInput,
                          help_text=_("At least 12 characters."))


class OrganisationTimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label=_("Organisation's time zone"), choices=zone_choices,
                                  help_text=_("Pages show times in this zone, and typed times are read in it, "
                                              "for everyone who has not chosen their own."))


class OwnTimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label=_("Your time zone"), required=False,
                                  help_text=_("Pages show times in this zone and read the times you type in it."))

    def __init__(self, *args, organisation_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [
            ("", _("The organisation's: %(zone)s") % {"zone": organisation_zone.replace("_", " ")}),
            *zone_choices(),
        ]
class DuressForm(forms.Form):
    current = forms.CharField(label=_("Current password"), strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password"}))
    passphrase = forms.CharField(label=_("Duress passphrase"), strip=False, max_length=512, widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}), help_text=_("At least 12 characters, different from your password."))
    repeat = forms.CharField(label=_("Duress passphrase again"), strip=False, max_length=512,
                             widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("passphrase") and data.get("repeat") != data.get("passphrase"):
            self.add_error("repeat", _("The two entries differ."))
        return data


class RecoveryCodeForm(forms.Form):
    code = forms.CharField(label=_("Recovery code"), max_length=32, widget=forms.TextInput(
        attrs={"autocomplete": "off", "autofocus": True, "autocapitalize": "none", "spellcheck": "false"}))


class PasswordConfirmForm(forms.Form):
    current = forms.CharField(label=_("Current password"), strip=False, widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password"}))
