"""Form fields shared by every app."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext as _


class IdentifierField(forms.CharField):
    """A phone number, handle, e-mail or passport number, cleaned by the one
    normaliser the blind indexes use (`corridor.crypto.normalize`), so what a form
    accepts is exactly what exposure and provocateur matching can find: a phone
    becomes E.164 or is refused."""

    def __init__(self, kind: str, **kwargs) -> None:
        self.kind = kind
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return ""
        return normalise_for_form(self.kind, value)


def normalise_for_form(kind: str, value: str) -> str:
    from corridor.exposure.services import normalise_identifier

    return normalise_identifier(kind, value)


class KindAndValueForm(forms.Form):
    """A form with a `kind` choice and a `value`: the value is normalised for the
    chosen kind (phones to E.164, handles and e-mail addresses canonical) or the
    form says what is wrong with it."""

    def clean(self):
        data = super().clean()
        if data.get("kind") and data.get("value"):
            try:
                data["value"] = normalise_for_form(data["kind"], data["value"])
            except forms.ValidationError as exc:
                self.add_error("value", exc)
        return data


def _zone_hint(text) -> str:
    from corridor.web.templatetags.corridor_time import current_zone_label

    hint = _("Your time: %(zone)s.") % {"zone": current_zone_label()}
    return f"{text} {hint}" if text else hint


def in_your_zone(text=""):
    """Help text for a typed time that names the zone it is read in, computed when
    the form is shown (the reader's zone, not the server's)."""
    return lazy(_zone_hint, str)(text)
