"""`{% form_fields %}` gives exactly what the `web/form_fields.html` template gave."""

from __future__ import annotations

import pytest
from django import forms
from django.template import Context, Template
from django.template.loader import render_to_string

from corridor.web.tests.test_renderers import (
    HOSTILE,
    Hostile,
    case_page_forms,
    forms_without_arguments,
)

# The template this tag replaced, kept verbatim as the reference.
TEMPLATE = Template('{% load i18n %}{% if form.non_field_errors %}<div class="alert" role="alert">{% for e in form.non_field_errors %}<p>{{ e }}</p>{% endfor %}</div>{% endif %}\n{% for field in form %}{% if field.is_hidden %}{{ field }}{% else %}\n<div class="field{% if field.errors %} has-error{% endif %}">\n  {% if field.widget_type == "checkbox" %}<label>{{ field }} {{ field.label }}</label>{% else %}\n  <label for="{{ field.id_for_label }}">{{ field.label }}{% if field.field.required %} <span class="req" aria-hidden="true">*</span>{% endif %}</label>\n  {{ field }}{% endif %}\n  {% if field.help_text %}<small class="help">{{ field.help_text }}</small>{% endif %}\n  {% for e in field.errors %}<p class="error" role="alert">{{ e }}</p>{% endfor %}\n</div>{% endif %}{% endfor %}\n')


def _assert_same(form) -> None:
    assert render_to_string("web/form_fields.html", {"form": form}) == TEMPLATE.render(Context({"form": form})), \
        type(form).__name__


class WithErrors(Hostile):
    note = forms.CharField(required=False, label=None, help_text="<b>help</b>")

    def clean(self):
        raise forms.ValidationError("Something <wrong> & more")


def test_hostile_values_errors_and_help_render_the_same():
    _assert_same(Hostile())
    _assert_same(Hostile(data=HOSTILE))
    _assert_same(WithErrors(data={}))
    bound = WithErrors(data=HOSTILE)
    assert not bound.is_valid()
    _assert_same(bound)
    assert "Something &lt;wrong&gt; &amp; more" in render_to_string("web/form_fields.html", {"form": bound})


@pytest.mark.django_db
def test_every_form_that_needs_no_arguments_renders_the_same():
    found = forms_without_arguments()
    assert len(found) > 30
    for form in found:
        _assert_same(form)
        _assert_same(type(form)(data={}))


@pytest.mark.django_db
def test_the_case_page_forms_render_the_same(cast):
    for form in case_page_forms(cast).values():
        _assert_same(form)
