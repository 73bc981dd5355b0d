from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HouseForm(forms.Form):
    label = forms.CharField(label=_("Nickname"), max_length=60,
                            help_text=_("A name that does not reveal where the house is."))
    capacity = forms.IntegerField(label=_("Beds"), min_value=1, max_value=500)
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)
    address = forms.CharField(label=_("Address"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("Encrypted. Only coordinators can read it."))
    city = forms.CharField(label=_("City"), max_length=200, required=False)
    contact = forms.CharField(label=_("Contact on site"), max_length=2000, required=False)
    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def address_data(self) -> dict:
        return {k: self.cleaned_data.get(k, "") for k in ("address", "city", "contact", "notes")}


class CheckInForm(forms.Form):
    code = forms.CharField(label=_("Case code"), max_length=16, help_text=_("For example K-0413."))
    check_in = forms.DateField(label=_("Check-in"), widget=DATE, initial=timezone.localdate)


class CheckOutForm(forms.Form):
    check_out = forms.DateField(label=_("Check-out"), widget=DATE, initial=timezone.localdate)


class MoveForm(forms.Form):
    to_house = forms.ChoiceField(label=_("Move to"))
    on = forms.DateField(label=_("On"), widget=DATE, initial=timezone.localdate)

    def __init__(self, *args, houses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_house"].choices = [(str(h.pk), f"{h.label} ({h.free})") for h in houses]
