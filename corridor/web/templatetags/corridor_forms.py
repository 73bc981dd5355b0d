"""`{% form_fields form %}`: a form's fields with their labels, help and errors,
the markup `web/form_fields.html` always gave, built in Python.

The case page shows a dozen forms; through the template language each field cost
a dozen tag and variable nodes, which was about a third of the page's template
time. `corridor/web/tests/test_form_fields.py` compares this with the template it
replaced, for every form that needs no arguments and every form of the case page.
"""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from corridor.web.renderers import render_value

register = template.Library()

_REQUIRED = ' <span class="req" aria-hidden="true">*</span>'


@register.simple_tag
def form_fields(form) -> SafeString:
    out = []
    errors = form.non_field_errors()
    if errors:
        out.append('<div class="alert" role="alert">')
        out.extend(f"<p>{render_value(e)}</p>" for e in errors)
        out.append("</div>")
    out.append("\n")
    for field in form:
        if field.is_hidden:
            out.append(str(field))
            continue
        out.append(f'\n<div class="field{" has-error" if field.errors else ""}">\n  ')
        if field.widget_type == "checkbox":
            out.append(f"<label>{field} {render_value(field.label)}</label>")
        else:
            out.append(f'\n  <label for="{render_value(field.id_for_label)}">{render_value(field.label)}'
                       f'{_REQUIRED if field.field.required else ""}</label>\n  {field}')
        out.append("\n  ")
        if field.help_text:
            out.append(f'<small class="help">{render_value(field.help_text)}</small>')
        out.append("\n  ")
        out.extend(f'<p class="error" role="alert">{render_value(e)}</p>' for e in field.errors)
        out.append("\n</div>")
    return SafeString("".join(out))
