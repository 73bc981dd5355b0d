"""The Python widget renderer gives exactly the markup of Django's templates."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

import corridor
from corridor.web.renderers import FastWidgetRenderer

FAST, DJANGO = FastWidgetRenderer(), DjangoTemplates()


def _assert_same(form) -> int:
    checked = 0
    for field in form:
        fast = field.field.widget.render(
            field.html_name, field.value(), attrs=field.build_widget_attrs({"id": field.auto_id}), renderer=FAST)
        slow = field.field.widget.render(
            field.html_name, field.value(), attrs=field.build_widget_attrs({"id": field.auto_id}), renderer=DJANGO)
        assert fast == slow, (type(form).__name__, field.name)
        checked += 1
    return checked


class Hostile(forms.Form):
    text = forms.CharField(max_length=10, widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Name")}))
    quoted = forms.CharField(required=False)
    safe = forms.CharField(required=False, widget=forms.TextInput(attrs={"data-x": mark_safe("<b>&amp;</b>")}))
    story = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "disabled": True, "readonly": False}))
    agree = forms.BooleanField(required=False)
    count = forms.IntegerField(min_value=0)
    when = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    hidden = forms.CharField(widget=forms.HiddenInput)
    pick = forms.ChoiceField(choices=[("", "—"), (1, 1), ("a&b", "A & <B>"),
                                      (gettext_lazy("Group"), [("x", "X \"quoted\""), ("y", gettext_lazy("Cases"))])])
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    file = forms.FileField(required=False)


HOSTILE = {"text": '"><script>alert(1)</script>', "quoted": "O'Brien & \"sons\"", "story": "</textarea><b>",
           "agree": "on", "count": "12", "when": "2026-03-29", "hidden": "<x>", "pick": "y", "many": ["a", "b"],
           "secret": "p<>&"}


def test_it_renders_hostile_values_exactly_as_the_templates_do():
    assert _assert_same(Hostile()) == len(Hostile.base_fields)
    assert _assert_same(Hostile(data=HOSTILE)) == len(Hostile.base_fields)
    assert _assert_same(Hostile(data={})) == len(Hostile.base_fields)
    assert "&lt;script&gt;" in str(Hostile(data=HOSTILE)["text"])


def test_it_falls_back_to_the_templates_for_other_widgets():
    class Radios(forms.Form):
        choice = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
        boxes = forms.MultipleChoiceField(choices=[("a", "A")], widget=forms.CheckboxSelectMultiple)
        day = forms.DateField(widget=forms.SelectDateWidget)

    assert _assert_same(Radios(data={"choice": "b"})) == 3


def forms_without_arguments() -> list:
    """An instance of every form class in Corridor that can be made with no arguments."""
    found = []
    for module in pkgutil.walk_packages(corridor.__path__, "corridor."):
        if not module.name.endswith(".forms"):
            continue
        for _name, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if not issubclass(cls, forms.BaseForm) or cls.__module__ != module.name:
                continue
            try:
                found.append(cls())
            except TypeError:
                continue
    return found


def case_page_forms(cast) -> dict:
    """The forms of a sheltered case's page, as a coordinator sees them."""
    from corridor.cases import services
    from corridor.cases.models import Stage
    from corridor.cases.tests.conftest import advance
    from corridor.cases.views._helpers import detail_forms

    person = services.person_create(actor="system:test", organisation=cast.org,
                                    identity={"name_cyrillic": "Иван", "name_latin": "Ivan"}, phone="")
    case = services.case_open(actor="system:test", person=person, summary="<b>summary</b>", worker=cast.alice)
    advance(case, Stage.SHELTERED)
    case.refresh_from_db()
    return detail_forms(case, cast.coordinator)


@pytest.mark.django_db
def test_every_form_that_needs_no_arguments_renders_the_same():
    assert sum(_assert_same(form) for form in forms_without_arguments()) > 100


@pytest.mark.django_db
def test_the_case_page_forms_render_the_same(cast):
    assert sum(_assert_same(form) for form in case_page_forms(cast).values()) > 40
