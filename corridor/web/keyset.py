"""Keyset pages for the lists outside cases (audit log, evidence, funds).

A page starts after (or before) the row its cursor names, in an ordering that
ends with a unique column, so the 2,000th page costs what the first costs; an
OFFSET page reads and discards every row before it, and Django's `Paginator`
also counts the whole list on every view. These pages count nothing: they say
whether there is a next and a previous page, as the case list does.

A cursor is the ordering columns' values of one row, as URL-safe base64 JSON; it
carries no access: the list's own queryset (its access function) is filtered
with it, and a cursor that is not one of ours gives the first page.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

PARAMS = ("after", "before")


@dataclass
class Page:
    object_list: list = field(default_factory=list)
    next_cursor: str = ""
    previous_cursor: str = ""
    query: str = ""  # the list's other parameters (filters), for the links

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_cursor)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def __bool__(self) -> bool:
        return bool(self.object_list)


def _columns(ordering: list[str]) -> list[tuple[str, bool]]:
    return [(name.lstrip("-"), name.startswith("-")) for name in ordering]


def _encode(values) -> str:
    out = [v if isinstance(v, int) else v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values]
    return base64.urlsafe_b64encode(json.dumps(out, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(model, columns, token: str) -> list | None:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(raw, list) or len(raw) != len(columns):
            return None
        values = []
        for (name, _desc), value in zip(columns, raw, strict=True):
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                return None
            parsed = model._meta.get_field(name).to_python(value)
            if parsed is None or (hasattr(parsed, "tzinfo") and hasattr(parsed, "hour") and parsed.tzinfo is None):
                return None
            values.append(parsed)
        return values
    except (ValueError, TypeError, ValidationError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        return None


def _beyond(columns, values, *, backwards: bool) -> Q:
    """Rows strictly after `values` in the ordering (before them when `backwards`),
    with a plain range on the leading column for the index scan to start from."""
    cond = Q(pk__in=[])
    equal = Q()
    bound = Q()
    for i, ((name, desc), value) in enumerate(zip(columns, values, strict=True)):
        later = desc == backwards
        cond |= equal & Q(**{f"{name}__{'gt' if later else 'lt'}": value})
        equal &= Q(**{name: value})
        if i == 0:
            bound = Q(**{f"{name}__{'gte' if later else 'lte'}": value})
    return bound & cond


def keyset_page(qs: QuerySet, ordering: list[str], request=None, *, size: int = 50) -> Page:
    """One page of `qs` in `ordering` (model fields, not null, the last unique),
    positioned by the request's `after` or `before` cursor."""
    columns = _columns(ordering)
    data = request.GET if request is not None else {}
    cursor, backwards = None, False
    if data.get("after"):
        cursor = _decode(qs.model, columns, data["after"])
    if cursor is None and data.get("before"):
        cursor = _decode(qs.model, columns, data["before"])
        backwards = cursor is not None
    if cursor is not None:
        qs = qs.filter(_beyond(columns, cursor, backwards=backwards))
    order = [("-" if desc != backwards else "") + name for name, desc in columns]
    rows = list(qs.order_by(*order)[:size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = Page(object_list=rows)
    if request is not None:
        page.query = urlencode([(k, v) for k, v in request.GET.items() if k not in (*PARAMS, "page")])

    def key(row):
        return _encode([getattr(row, name if name != "pk" else "pk") for name, _desc in columns])

    if rows and backwards:
        page.next_cursor = key(rows[-1])
        page.previous_cursor = key(rows[0]) if more else ""
    elif rows:
        page.next_cursor = key(rows[-1]) if more else ""
        page.previous_cursor = key(rows[0]) if cursor is not None else ""
    return page
