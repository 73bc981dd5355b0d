"""Navigation and dashboard panels contributed by each app.

An app's AppConfig may set `nav` to a list of (label, url name, permission) and
`dashboard_panels` to a list of (template, permission, context function path).
The shell renders whatever the signed-in role may use, so apps never edit the
shared templates.
"""

from __future__ import annotations

from django.apps import apps
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils.module_loading import import_string

_NAV: dict[tuple, list[dict]] = {}


def nav_for(user) -> list[dict]:
    """The menu for this user's role, built once per role and URL prefix per process
    (it depends on nothing else: the labels are lazy and translate when rendered).
    Callers must not change the list."""
    key = (getattr(user, "role", None), bool(getattr(user, "is_active", False)),
           bool(getattr(user, "is_authenticated", False)), get_script_prefix())
    items = _NAV.get(key)
    if items is None:
        items = _NAV[key] = _build_nav(user)
    return items


def _build_nav(user) -> list[dict]:
    items = []
    for config in apps.get_app_configs():
        for label, url_name, perm in getattr(config, "nav", []):
            if perm is not None and not user.can(perm):
                continue
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                continue
            items.append({"label": label, "url": url, "name": url_name})
    return items


def panels_for(request) -> list[dict]:
    panels = []
    for config in apps.get_app_configs():
        for template, perm, context_path in getattr(config, "dashboard_panels", []):
            if perm is not None and not request.user.can(perm):
                continue
            context = import_string(context_path)(request) if context_path else {}
            if context is not None:
                panels.append({"template": template, "context": context})
    return panels
