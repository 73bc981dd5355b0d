from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from corridor.api import scopes
from corridor.api.services import LIFETIMES_DAYS


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80,
                           help_text=_("What will use it, for example “documentation centre sync”."))
    scope = forms.MultipleChoiceField(label=_("What it may do"), widget=forms.CheckboxSelectMultiple)
    write = forms.BooleanField(label=_("May also change records (a write token)"), required=False)
    days = forms.TypedChoiceField(label=_("Lasts"), coerce=int, initial=30,
                                  choices=[(d, str(d)) for d in LIFETIMES_DAYS])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Labels made per request, in the reader's language (a class attribute would
        # keep the language the process started in).
        self.fields["days"].choices = [(d, ngettext("%(n)d day", "%(n)d days", d) % {"n": d}) for d in LIFETIMES_DAYS]
        self.fields["scope"].choices = [
            (perm.value, _("%(what)s (write)") % {"what": label} if is_write else
             _("%(what)s (read)") % {"what": label})
            for perm, label, is_write in scopes.offered(user)
        ]
