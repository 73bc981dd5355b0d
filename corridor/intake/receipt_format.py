"""What a typed receipt must look like, in a module that needs neither Django nor any
key: the buffering front (corridor/web/front.py) refuses malformed receipts with these
very functions, so it can never disagree with the view about what is malformed."""

from __future__ import annotations

import re
import unicodedata


def parse(text: str) -> str | None:
    """The canonical digits of a typed receipt, or None if it cannot be one.

    Accepts the numbers written with 8 or 7 or +7 or without a country code, with
    any spaces, brackets, dashes, commas and words in between."""
    text = unicodedata.normalize("NFKC", text or "")[:200]
    ds = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    out: list[str] = []
    i = 0
    for _ in range(2):
        if ds[i:i + 1] in ("7", "8") and ds[i + 1:i + 2] == "9":
            i += 1
        if ds[i:i + 1] != "9" or len(ds) < i + 10:
            return None
        out.append(ds[i + 1:i + 10])
        i += 10
    rest = ds[i:]
    if len(rest) != 3:
        return None
    return "".join(out) + rest


_SHAPE = re.compile(r"^[\d\s()+\-.,:;/a-zA-Zа-яА-ЯёЁ]*$")


def plausible(text: str) -> bool:
    """Cheap pre-check before any database or Argon2 work."""
    return bool(text) and len(text) <= 200 and bool(_SHAPE.match(text))
