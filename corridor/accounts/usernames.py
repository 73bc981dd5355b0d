"""The one place that says when two typed usernames are the same.

- `username_key`: NFKC then casefold. Stored on every account (unique) and used by
  sign-in lookup and account creation, so the database's own case rules (PostgreSQL
  `UPPER()` maps the dotless ı to I) never decide who signs in.
- `username_skeleton`: the key with look-alike letters folded (dotless ı → i,
  accents stripped, a few Cyrillic/Greek letters that look Latin mapped to Latin).
  Used by the login throttle, so guessing at `north-coordınator` spends the same
  budget as `north-coordinator`, and by account creation, which refuses a name that
  looks like an existing one.
"""

from __future__ import annotations

import unicodedata

# Letters that render (nearly) like a Latin letter in the fonts staff use.
_CONFUSABLES = str.maketrans({
    "ı": "i", "ȷ": "j", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ß": "ss",
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d", "ӏ": "l",
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "0": "o", "1": "l", "_": "-", ".": "-",
})


def username_key(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw.strip()).casefold()


def username_skeleton(raw: str) -> str:
    key = username_key(raw)
    stripped = "".join(ch for ch in unicodedata.normalize("NFKD", key) if not unicodedata.combining(ch))
    return stripped.translate(_CONFUSABLES).replace("i", "l")
