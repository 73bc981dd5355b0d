"""Normalisers for blind-indexed identifiers: the same person's phone written three
ways must give the same index, or exposure matching misses them."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers


class NotAnIdentifier(ValueError):
    pass


PHONE_CHARS = re.compile(r"\+?[\d\s\-().]+")


def phone(raw: str, region: str = "RU") -> str:
    """E.164, e.g. "8 (928) 123-45-67" → "+79281234567"."""
    text = (raw or "").strip()
    if not text:
        raise NotAnIdentifier("empty phone number")
    # Only digits and the usual separators: phonenumbers would turn letters into
    # keypad digits ("12345 not a phone" → +712345668274663), an index that matches
    # nobody and hides the real number from exposure and provocateur matching.
    if not PHONE_CHARS.fullmatch(text):
        raise NotAnIdentifier("a phone number has only digits, spaces, +, -, ( ) and dots")
    digits = sum(ch.isdigit() for ch in text)
    if not 7 <= digits <= 15:
        raise NotAnIdentifier("a phone number has 7 to 15 digits")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise NotAnIdentifier(f"not a phone number: {exc}") from None
    if not phonenumbers.is_possible_number(number):
        raise NotAnIdentifier("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def handle(raw: str) -> str:
    """Messenger handle: case-folded, without the leading @ or t.me/ prefix."""
    text = unicodedata.normalize("NFKC", (raw or "").strip()).casefold()
    text = re.sub(r"^(https?://)?(t\.me/|telegram\.me/)", "", text)
    text = text.lstrip("@").strip()
    if not text or any(ch.isspace() for ch in text):
        raise NotAnIdentifier("not a messenger handle")
    return text


def passport(raw: str) -> str:
    """Passport number: letters upper-cased, spaces, dashes and '№' removed."""
    # Strip the number sign before NFKC (which turns "№" into "No"), and drop only a
    # leading "No"/"N°" marker: a Latin N inside the number is part of it.
    text = (raw or "").replace("№", " ")
    text = unicodedata.normalize("NFKC", text).upper().strip()
    text = re.sub(r"^(NO\.?|N°|#)\s*", "", text)
    text = re.sub(r"[\s\-#]", "", text)
    if not text or not text.isalnum():
        raise NotAnIdentifier("not a passport number")
    return text


def email(raw: str) -> str:
    text = (raw or "").strip().casefold()
    if "@" not in text or " " in text:
        raise NotAnIdentifier("not an e-mail address")
    return text


NORMALISERS = {"phone": phone, "handle": handle, "passport": passport, "email": email}


def normalise(kind: str, raw: str) -> str:
    try:
        return NORMALISERS[kind](raw)
    except KeyError:
        raise ValueError(f"unknown identifier kind {kind!r}") from None
