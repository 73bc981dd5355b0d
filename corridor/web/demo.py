"""Shared demo-data context. Each app contributes `corridor/<app>/demo.py` with a
`populate(ctx)` function; `corridor demo` calls them in DEMO_ORDER.

Demo people are synthetic (Faker); never load real victims' data into a demo.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from faker import Faker

DEMO_ORDER = ["cases", "housing", "intake", "exposure", "evidence", "funds"]


@dataclass
class DemoContext:
    seed: int
    cases: int
    organisations: list = field(default_factory=list)
    staff: dict = field(default_factory=dict)  # org slug -> role -> [users]
    rng: random.Random = field(default_factory=random.Random)
    fake_ru: Faker | None = None
    fake_en: Faker | None = None
    advance: Callable[[str, int, int], None] = lambda label, done, total: None
    shared: dict = field(default_factory=dict)  # what one provider leaves for the next

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.fake_ru = Faker("ru_RU")
        self.fake_ru.seed_instance(self.seed)
        self.fake_en = Faker("en_GB")
        self.fake_en.seed_instance(self.seed + 1)

    def users(self, org, role: str) -> list:
        return self.staff.get(org.slug, {}).get(role, [])

    def phone(self) -> str:
        """A syntactically valid Russian mobile number from a range no operator uses
        in examples, generated, never harvested."""
        return f"+79{self.rng.randrange(10**8, 10**9):09d}"[:12]


def insert_rows(model, objs: list) -> None:
    """Insert model instances as `bulk_create` would, in one prepared statement
    executed for every row, without the ORM compiler's per-value work (which cost
    more than encryption and SQL together in a profile of the 20,000-case demo).

    Every value still goes through its own field: `pre_save` (so encrypted fields
    are sealed by `EncryptedField` itself, with their row-binding associated data)
    and `get_db_prep_save` for this database. Primary keys must be set (UUIDs by
    default on every Corridor model); related objects must already be saved.
    """
    if not objs:
        return
    from django.db import connections, router

    connection = connections[router.db_for_write(model)]
    fields = list(model._meta.local_concrete_fields)
    quote = connection.ops.quote_name
    # Table and column names come from the model, quoted; values are parameters.
    columns = ", ".join(quote(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    prepare = [_preparer(f, connection) for f in fields]
    rows = [tuple(p(obj) for p in prepare) for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def _preparer(field, connection):
    """How to turn one attribute into its database value: through the field
    (`pre_save`, then `get_db_prep_save`), except for the plain cases where that
    is the identity: text, whole numbers and booleans already of their type, and
    UUIDs (kept as they are where the database has a UUID type, hex elsewhere,
    as `UUIDField` does)."""
    import uuid

    from django.db import models

    from corridor.crypto.fields import EncryptedField

    attname = field.attname
    generic = field.get_db_prep_save
    target = field.target_field if field.is_relation else field
    custom_pre_save = isinstance(field, EncryptedField) or getattr(field, "auto_now", False) or \
        getattr(field, "auto_now_add", False)
    if custom_pre_save:
        return lambda obj: generic(field.pre_save(obj, True), connection)
    if isinstance(target, models.UUIDField) and type(target) is models.UUIDField:
        native = connection.features.has_native_uuid_field

        def uuid_value(obj):
            value = obj.__dict__.get(attname)
            if type(value) is uuid.UUID:
                return value if native else value.hex
            return generic(getattr(obj, attname), connection)
        return uuid_value
    plain = {models.CharField: str, models.TextField: str, models.IntegerField: int,
             models.PositiveIntegerField: int, models.PositiveSmallIntegerField: int,
             models.SmallIntegerField: int, models.BigIntegerField: int, models.BooleanField: bool}
    kind = plain.get(type(field))
    if kind is not None and not field.is_relation:

        def plain_value(obj):
            value = obj.__dict__.get(attname)
            if value is None or type(value) is kind:
                return value
            return generic(getattr(obj, attname), connection)
        return plain_value
    return lambda obj: generic(field.pre_save(obj, True), connection)
