"""The form renderer: Django's own, with the plain widgets rendered in Python.

The case page alone renders about fifty widgets, and Django renders each through two
or three nested templates (the widget, ``input.html``, ``attrs.html``; a select once
more per option), which was a quarter of the page's time. For the widget templates
listed here the markup is built directly, byte for byte what Django's templates give
(the test ``corridor/web/tests/test_renderers.py`` compares both for every form of
the case page); any other template (radio lists, the form and field layouts, a
project template) goes through Django's templates as before.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, SafeString

_W = "django/forms/widgets/"
# Every Django widget template whose whole body is `{% include "…/input.html" %}`.
_INPUTS = frozenset(_W + name + ".html" for name in (
    "input", "checkbox", "color", "date", "datetime", "email", "file", "hidden", "number", "password",
    "search", "tel", "text", "time", "url"))
_TEXTAREA = _W + "textarea.html"
_SELECT = _W + "select.html"
_OPTION = _W + "select_option.html"
# How `{{ value }}` prints in an autoescaping template without a request: localised,
# then escaped unless already safe.
_CONTEXT = Context(autoescape=True)


def render_value(value) -> str:
    return render_value_in_context(value, _CONTEXT)


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: `%s`, kept safe if it was, else escaped."""
    text = str(value)
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs: dict) -> str:
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(" " + render_value(name) if value is True else f" {render_value(name)}=\"{_formatted(value)}\"")
    return "".join(out)


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    return f'<input type="{render_value(widget["type"])}" name="{render_value(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict) -> str:
    value = render_value(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{render_value(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select(widget: dict) -> str | None:
    out = [f'<select name="{render_value(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{render_value(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION:
                return None
            out.append(f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
                       f'{render_value(option["label"])}</option>\n')  # select_option.html ends in a newline
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


class FastWidgetRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None and request is None:
            html = None
            if template_name in _INPUTS:
                html = _input(widget)
            elif template_name == _TEXTAREA:
                html = _textarea(widget)
            elif template_name == _SELECT:
                html = _select(widget)
            if html is not None:
                return SafeString(html.strip())
        return super().render(template_name, context, request=request)
