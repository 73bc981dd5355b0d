"""Checks on what a person typed: empty, too long, binary, or wrongly encoded.

Browsers send our forms as UTF-8 (the page says so); bytes that are not UTF-8
reach Django as U+FFFD. Text that was UTF-8 but read as Windows-1252 or Latin-1
somewhere on the way ("Ð¿Ñ€Ð¸Ð²ÐµÑ‚") is recognised by decoding it back.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# C0 controls other than tab/newline/carriage return, DEL, and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_MOJIBAKE = re.compile(r"[ÐÑ][\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ¡-¿]")

MESSAGES = {
    "empty": _("Please write a few words about what happened."),
    "too_long": _("This text is too long (%(count)s characters). Please keep it under %(limit)s "
                  "characters; you can write more later with your receipt."),
    # Staff have no receipt: their forms say only what to do now.
    "too_long_staff": _("This text is too long (%(count)s characters). Please keep it under %(limit)s characters."),
    "binary": _("This text has characters in it that cannot be read, perhaps from a file pasted in. "
                "Please type or paste plain text."),
    "encoding": _("Some letters could not be read: the text seems to be in the wrong encoding. "
                  "Please type it again, or copy it from another app."),
}


def looks_like_mojibake(text: str) -> bool:
    """Cyrillic that was decoded with the wrong code page: Windows-1251 bytes read as
    Latin-1 ("Ïîìîãèòå"), or UTF-8 read as Windows-1252 ("ÐŸÐ¾Ð¼Ð¾"). Real text in any
    Latin-script language has far fewer than half of its letters in U+00C0–U+00FF."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters or any("\u0400" <= ch <= "\u04ff" for ch in letters):
        return False
    if sum("\u00c0" <= ch <= "\u00ff" for ch in letters) / len(letters) >= 0.5:
        return True
    if _MOJIBAKE.search(text):
        repaired = [ch for ch in text.encode("cp1252", errors="ignore").decode("utf-8", errors="ignore")
                    if ch.isalpha()]
        return bool(repaired) and sum("\u0400" <= ch <= "\u04ff" for ch in repaired) / len(repaired) > 0.5
    return False


def clean(value: str | None, *, limit: int, required: bool = False, public: bool = False) -> str:
    text = unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n"))
    if "\ufffd" in text:
        raise ValidationError(MESSAGES["encoding"], code="encoding")
    if "\x00" in text or len(_CONTROL.findall(text)) > 0:
        raise ValidationError(MESSAGES["binary"], code="binary")
    if looks_like_mojibake(text):
        raise ValidationError(MESSAGES["encoding"], code="encoding")
    text = text.strip()
    if required and not text:
        raise ValidationError(MESSAGES["empty"], code="empty")
    if len(text) > limit:
        raise ValidationError(MESSAGES["too_long" if public else "too_long_staff"], code="too_long",
                              params={"count": f"{len(text):,}".replace(",", " "),
                                      "limit": f"{limit:,}".replace(",", " ")})
    return text
