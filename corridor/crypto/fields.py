"""One model field for all sensitive data, and a blind-index field for exact lookups.

`EncryptedField` stores AES-256-GCM ciphertext (see `aead`) under the data key the
model names with `key_attr` (an attribute or property returning a `DataKey`). Values
are JSON-serialisable Python objects: text, numbers, lists, dicts; dates are stored
as ISO strings by the caller. Decryption is lazy, on attribute access, so a list
page only decrypts what it shows.

The row id is part of the associated data, so models using this field must have a
UUID primary key assigned before saving (the default for every Corridor model).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _

from corridor.crypto import aead
from corridor.crypto.errors import Erased


class Ciphertext(bytes):
    """Raw ciphertext as loaded from the database (distinguishes it from plaintext)."""


class ErasedValue:
    """What an erased value reads as: falsy, and rendered as a translated marker."""

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return str(_("[erased]"))

    def __repr__(self) -> str:
        return "<erased>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ErasedValue)

    __hash__ = object.__hash__


ERASED = ErasedValue()


class _Plain:
    """A value set in Python that has not been encrypted yet."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Opened:
    """A decrypted value kept beside the ciphertext it came from."""

    __slots__ = ("value", "raw")

    def __init__(self, value: Any, raw: Ciphertext) -> None:
        self.value = value
        self.raw = raw


class EncryptedDescriptor:
    def __init__(self, field: EncryptedField) -> None:
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        name = self.field.attname
        if name not in instance.__dict__:
            instance.refresh_from_db(fields=[name])
        slot = instance.__dict__[name]
        if slot is None:
            return None
        if isinstance(slot, (_Plain, _Opened)):
            return slot.value
        value = self.field.open(instance, slot)
        instance.__dict__[name] = _Opened(value, slot)
        return value

    def __set__(self, instance, value) -> None:
        name = self.field.attname
        if value is None:
            instance.__dict__[name] = None
        elif isinstance(value, Ciphertext):
            instance.__dict__[name] = value
        elif isinstance(value, memoryview):
            instance.__dict__[name] = Ciphertext(bytes(value))
        else:
            instance.__dict__[name] = _Plain(value)


class EncryptedField(models.BinaryField):
    description = "Encrypted value (AES-256-GCM under a per-record data key)"

    def __init__(self, *args, key_attr: str = "data_key", **kwargs) -> None:
        self.key_attr = key_attr
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs["editable"] = True
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        if self.key_attr != "data_key":
            kwargs["key_attr"] = self.key_attr
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        setattr(cls, self.attname, EncryptedDescriptor(self))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return Ciphertext(bytes(value))

    def get_lookup(self, lookup_name):
        # Equality on ciphertext is meaningless (random nonces); use a BlindIndexField.
        if lookup_name != "isnull":
            raise ImproperlyConfigured(f"{self.model.__name__}.{self.name}: encrypted fields only support isnull")
        return super().get_lookup(lookup_name)

    # --- encryption -------------------------------------------------------------
    def _key_for(self, instance):
        dk = getattr(instance, self.key_attr)
        if dk is None:
            raise ImproperlyConfigured(f"{instance.__class__.__name__} has no data key in {self.key_attr!r}")
        return dk

    def _ad(self, instance, dk) -> bytes:
        if instance.pk is None:
            raise ImproperlyConfigured(f"{instance.__class__.__name__} needs its primary key before encryption")
        return aead.field_ad(instance._meta.label, self.name, str(instance.pk), str(dk.pk), dk.version)

    def open(self, instance, raw: Ciphertext):
        from corridor.crypto.keys import data_key_bytes

        dk = self._key_for(instance)
        try:
            key = data_key_bytes(dk)
        except Erased:
            return ERASED
        plaintext = aead.decrypt(key, raw, self._ad(instance, dk), dk.version)
        return json.loads(plaintext.decode("utf-8"))

    def seal(self, instance, value) -> Ciphertext:
        from corridor.crypto.keys import data_key_bytes

        dk = self._key_for(instance)
        key = data_key_bytes(dk)
        plaintext = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return Ciphertext(aead.encrypt(key, plaintext, self._ad(instance, dk), dk.version))

    def pre_save(self, model_instance, add):
        slot = model_instance.__dict__.get(self.attname)
        if isinstance(slot, _Plain):
            raw = self.seal(model_instance, slot.value)
            model_instance.__dict__[self.attname] = _Opened(slot.value, raw)
            return raw
        if isinstance(slot, _Opened):
            return slot.raw
        return slot

    def get_db_prep_value(self, value, connection, prepared=False):
        if isinstance(value, (_Plain, _Opened)):
            raise ImproperlyConfigured("encrypted values must pass through pre_save")
        return super().get_db_prep_value(value, connection, prepared)

    def value_from_object(self, obj):
        return getattr(obj, self.attname)


class BlindIndexField(models.BinaryField):
    """Keyed HMAC (128 bits) of a normalised identifier, for exact-match lookups only.

    Indexed, unlike a plain BinaryField. Compute values with
    `corridor.crypto.keys.blind_index(kind, raw)`; the key is per identifier kind, so
    a phone index is comparable across models (exposure matching) but never equal to
    a passport index of the same digits.
    """

    def __init__(self, *args, kind: str = "phone", **kwargs) -> None:
        self.kind = kind
        kwargs.setdefault("null", True)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("max_length", 16)
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        return None if value is None else bytes(value)
