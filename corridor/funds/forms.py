"""Forms of the funds pages. Amounts are text fields parsed by `money.parse_amount`
(never FloatField), so "1 500,50" and "1500.50" both work and errors are clear."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from corridor.funds import currencies
from corridor.funds.models import Campaign, Category, Donor
from corridor.funds.money import parse_amount
from corridor.funds.services.rates import parse_rate

_MONTH = re.compile(r"(\d{4})-(\d{2})")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MonthField(forms.CharField):
    """A month as YYYY-MM (what <input type="month"> sends), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2017-03", "pattern": r"\d{4}-\d{2}"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = _MONTH.fullmatch(value.strip())
        if not match or not 1 <= int(match[2]) <= 12 or not 1990 <= int(match[1]) <= 2100:
            raise ValidationError(_("Enter a month as YYYY-MM, for example 2017-03."), code="month")
        return date(int(match[1]), int(match[2]), 1)


def currency_field(**kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Currency"), choices=currencies.choices(), initial="RUB", **kwargs)


class AmountMixin:
    """Validates `amount` against the chosen `currency` (decimals, sign, size)."""

    allow_negative = False

    def clean(self):
        data = super().clean()
        currency, amount = data.get("currency"), data.get("amount")
        if currency and amount not in (None, ""):
            try:
                data["amount"] = parse_amount(amount, currency, allow_negative=self.allow_negative)
            except ValidationError as exc:
                self.add_error("amount", exc)
        return data


AMOUNT_HELP = _("Digits with a point or comma before the decimals, e.g. 1500.50.")


class DonorForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Donor.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=300)
    contact = forms.CharField(label=_("Contact"), max_length=300, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    consent = forms.ChoiceField(label=_("Publication"), choices=Donor.Consent.choices,
                                initial=Donor.Consent.PRIVATE)
    public_name = forms.CharField(
        label=_("Name to publish"), max_length=200, required=False,
        help_text=_("Only with the donor's consent, exactly as they agreed to see it."))


class DonorEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=300)
    contact = forms.CharField(label=_("Contact"), max_length=300, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ConsentForm(forms.Form):
    consent = forms.ChoiceField(label=_("Publication"), choices=Donor.Consent.choices)
    public_name = forms.CharField(label=_("Name to publish"), max_length=200, required=False)


class CampaignForm(forms.ModelForm):
    url = forms.URLField(label=_("Address"), max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = Campaign
        fields = ["name", "status", "run_by", "url", "public_note", "started", "ended", "listed"]
        widgets = {"started": DateInput(), "ended": DateInput(), "public_note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "run_by": _("Who collects the money (shown publicly)."),
            "public_note": _("Shown on the public list, e.g. why a campaign is disowned."),
        }


class DonationForm(AmountMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    amount = forms.CharField(label=_("Amount"), max_length=40, help_text=AMOUNT_HELP)
    currency = currency_field()
    donor = forms.ChoiceField(label=_("Donor"), required=False)
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(), required=False)
    restriction = forms.ChoiceField(label=_("Earmarked for"), required=False,
                                    choices=[("", _("Unrestricted"))] + list(Category.choices))

    def __init__(self, *args, organisation, donors: list[Donor] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.filter(organisation=organisation).exclude(
            status=Campaign.Status.DISOWNED)
        self._donors = {str(d.pk): d for d in donors or []}
        self.fields["donor"].choices = [("", _("Anonymous"))] + [
            (str(d.pk), f"{d.name} ({d.get_kind_display()})") for d in donors or [] if d.erased is None]

    def clean_donor(self):
        value = self.cleaned_data.get("donor")
        return self._donors.get(value) if value else None


class DonationEditForm(AmountMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    amount = forms.CharField(label=_("Amount"), max_length=40, help_text=AMOUNT_HELP)
    currency = currency_field()
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(), required=False)
    restriction = forms.ChoiceField(label=_("Earmarked for"), required=False,
                                    choices=[("", _("Unrestricted"))] + list(Category.choices))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.filter(organisation=organisation)


class CorrectionForm(forms.Form):
    amount = forms.CharField(label=_("Change by"), max_length=40,
                             help_text=_("Negative to reduce, e.g. -250; in the original entry's currency."))
    date = forms.DateField(label=_("Date of the correction"), widget=DateInput(),
                           help_text=_("A day in an open month."))
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("Same as the original"))] + list(Category.choices))

    def __init__(self, *args, currency: str, with_category: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        if not with_category:
            del self.fields["category"]

    def clean_amount(self):
        return parse_amount(self.cleaned_data["amount"], self.currency, allow_negative=True)


class ExpenseForm(AmountMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    amount = forms.CharField(label=_("Amount"), max_length=40, help_text=AMOUNT_HELP)
    currency = currency_field()
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    payee = forms.CharField(label=_("Payee"), max_length=300, required=False,
                            help_text=_("Encrypted. Who was paid: a landlord, a clinic, a carrier."))
    description = forms.CharField(label=_("What for"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}), help_text=_("Encrypted."))
    case_code = forms.CharField(label=_("Case"), max_length=16, required=False,
                                help_text=_("Pseudonym of the case this pays for, e.g. K-0413. Never a name."))
    receipt = forms.FileField(label=_("Receipt"), required=False,
                              help_text=_("PDF, JPEG, PNG or WebP, up to 10 MB. Encrypted on arrival."))


class ExpenseEditForm(AmountMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    amount = forms.CharField(label=_("Amount"), max_length=40, help_text=AMOUNT_HELP)
    currency = currency_field()
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    payee = forms.CharField(label=_("Payee"), max_length=300, required=False)
    description = forms.CharField(label=_("What for"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReceiptForm(forms.Form):
    receipt = forms.FileField(label=_("Receipt"), help_text=_("PDF, JPEG, PNG or WebP, up to 10 MB."))


class LinkForm(forms.Form):
    case_code = forms.CharField(label=_("Case"), max_length=16, required=False)
    service = forms.ChoiceField(label=_("Service"), required=False)

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", "—")] + [
            (str(s.pk), f"{s.get_kind_display()} · {s.started:%Y-%m-%d}") for s in services]


class RateForm(forms.Form):
    currency = currency_field()
    quote = forms.ChoiceField(label=_("In currency"), choices=currencies.choices(), initial="USD")
    date = forms.DateField(label=_("Date"), widget=DateInput())
    rate = forms.CharField(label=_("Rate"), max_length=40,
                           help_text=_("How many units of the second currency one unit of the first buys."))
    source = forms.CharField(label=_("Source"), max_length=200, required=False,
                             help_text=_("e.g. Central Bank of Russia"))

    def clean_rate(self):
        return parse_rate(self.cleaned_data["rate"])

    def clean(self):
        data = super().clean()
        if data.get("currency") and data.get("currency") == data.get("quote"):
            self.add_error("quote", _("A rate needs two different currencies."))
        return data


class BudgetForm(AmountMixin, forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    start = MonthField(label=_("First month"))
    end = MonthField(label=_("Last month"))
    amount = forms.CharField(label=_("Amount"), max_length=40, help_text=AMOUNT_HELP)
    currency = currency_field()


class BudgetAmountForm(AmountMixin, forms.Form):
    amount = forms.CharField(label=_("Amount"), max_length=40, help_text=AMOUNT_HELP)
    currency = currency_field()


class ExportForm(forms.Form):
    start = MonthField(label=_("From"))
    end = MonthField(label=_("To"))
    currency = forms.ChoiceField(label=_("Also convert to"), choices=currencies.choices(), initial="USD")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The last month cannot come before the first."))
        return data
