"""Keyset pages for the lists outside cases (audit log, evidence, funds).

A page starts after (or before) the row its cursor names, in an ordering that
ends with a unique column, so the 2,000th page costs what the first costs; an
OFFSET page reads and discards every row before it, and Django's `Paginator`
also counts the whole list on every view. These pages count nothing: they say
whether there is a next and a previous page, as the case list does.

A nullable ordering column is allowed: its empty values come after every other
value in the list's order (in both directions of the column, and on SQLite and
PostgreSQL alike, which sort NULL differently by default), and a cursor holds
them as JSON null.

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
from django.db.models import F, Q, QuerySet

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


def _nullable(model, columns) -> list[bool]:
    return [name != "pk" and model._meta.get_field(name).null for name, _desc in columns]


def _encode(values) -> str:
    out = [v if v is None or isinstance(v, int) else v.isoformat() if hasattr(v, "isoformat") else str(v)
           for v in values]
    return base64.urlsafe_b64encode(json.dumps(out, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(model, columns, token: str) -> list | None:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(raw, list) or len(raw) != len(columns):
            return None
        values = []
        for (name, _desc), nullable, value in zip(columns, _nullable(model, columns), raw, strict=True):
            if value is None and nullable:
                values.append(None)
                continue
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                return None
            parsed = model._meta.get_field(name).to_python(value)
            if parsed is None or (hasattr(parsed, "tzinfo") and hasattr(parsed, "hour") and parsed.tzinfo is None):
                return None
            values.append(parsed)
        return values
    except (ValueError, TypeError, ValidationError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        return None


NOTHING = Q(pk__in=[])


def _past(name: str, desc: bool, nullable: bool, value, backwards: bool) -> Q:
    """Rows whose `name` comes strictly after `value` in the walk's direction
    (empty values last going forward, so first going back)."""
    bigger = desc == backwards
    if value is None:  # only empty values follow an empty one, and they are equal
        return Q(**{f"{name}__isnull": False}) if backwards else NOTHING
    past = Q(**{f"{name}__{'gt' if bigger else 'lt'}": value})
    return past | Q(**{f"{name}__isnull": True}) if nullable and not backwards else past


def _beyond(columns, values, nullable, *, backwards: bool) -> Q:
    """Rows strictly after `values` in the ordering (before them when `backwards`),
    with a range on the leading column for the index scan to start from."""
    cond = NOTHING
    equal = Q()
    bound = Q()
    for i, ((name, desc), null, value) in enumerate(zip(columns, nullable, values, strict=True)):
        past = _past(name, desc, null, value, backwards)
        same = Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
        cond |= equal & past
        equal &= same
        if i == 0:
            # The same condition, plus a plain range on the leading column that an
            # index scan can start from (an OR alone may make it scan from the top).
            bound = Q(**{f"{name}__{'gte' if desc == backwards else 'lte'}": value}) if not null else past | same
    return bound & cond


def keyset_page(qs: QuerySet, ordering: list[str], request=None, *, size: int = 50) -> Page:
    """One page of `qs` in `ordering` (model fields, the last unique and not null),
    positioned by the request's `after` or `before` cursor."""
    columns = _columns(ordering)
    nullable = _nullable(qs.model, columns)
    data = request.GET if request is not None else {}
    cursor, backwards = None, False
    if data.get("after"):
        cursor = _decode(qs.model, columns, data["after"])
    if cursor is None and data.get("before"):
        cursor = _decode(qs.model, columns, data["before"])
        backwards = cursor is not None
    if cursor is not None:
        qs = qs.filter(_beyond(columns, cursor, nullable, backwards=backwards))
    empty_end = {"nulls_first": True} if backwards else {"nulls_last": True}
    order = [("-" if desc != backwards else "") + name if not null
             else (F(name).desc if desc != backwards else F(name).asc)(**empty_end)
             for (name, desc), null in zip(columns, nullable, strict=True)]
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
