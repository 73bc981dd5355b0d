from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.http import Http404

from corridor.funds.forms import MonthField


def month_param(request, name: str = "month") -> date | None:
    raw = request.GET.get(name, "")
    if not raw:
        return None
    try:
        return MonthField().clean(raw)
    except ValidationError:
        return None


def month_from_path(value: str) -> date:
    try:
        return MonthField().clean(value)
    except ValidationError:
        raise Http404 from None


def add_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form (field errors where named)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def confirm_first(request, *, title: str, consequence: str, button: str, back: str):
    """Irreversible actions ask first: a POST without `confirmed=1` gets a page that
    names the consequence and posts again with it. Returns None once confirmed.
    (Server-side, so it works without JavaScript and under the strict CSP.)"""
    from django.shortcuts import render

    if request.POST.get("confirmed") == "1":
        return None
    return render(request, "funds/confirm.html", {"title": title, "consequence": consequence, "button": button,
                                                  "action": request.get_full_path(), "back": back})
