from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from corridor.funds import currencies
from corridor.funds.forms import MonthField


class ReportForm(forms.Form):
    start = MonthField(label=_("First month"))
    end = MonthField(label=_("Last month"))
    currency = forms.ChoiceField(label=_("Currency of the report"), choices=currencies.choices(), initial="USD")
    correction = forms.BooleanField(
        label=_("This corrects the report already published for exactly these months"), required=False,
        help_text=_("The earlier report is taken off the public pages and the correction is recorded."))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The last month cannot come before the first."))
        return data
