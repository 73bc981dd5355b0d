"""Reading seized or leaked contact lists: CSV with any column names, vCard 2.1/3/4,
or plain text with one entry per line.

Identifiers are found by their content, not by column names: phone numbers (any of
"+7 (928) 123-45-67", "8 928 123 45 67", "0079281234567"), messenger handles
("@name", "t.me/name") and e-mail addresses. Each is normalised exactly as the
blind index expects (`corridor.crypto.normalize`), so the same number written three
ways matches once. Lines that cannot be read are reported by line number and reason;
the rest of the list is still matched, because under time pressure a partial answer
now beats a perfect one later.

Nothing here writes anywhere: the plaintext lives only in this request's memory.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from corridor.crypto.normalize import NotAnIdentifier, normalise

MAX_LINES = 200_000
MAX_LINE_CHARS = 10_000
MAX_FAILURES_KEPT = 500

PHONE_RE = re.compile(r"(?<![\w@/])(?:\+|00)?\d[\d \t().\-\u00a0]{5,40}\d(?![\w@])")
HANDLE_RE = re.compile(r"(?:(?<![\w@.])@|\b(?:t|telegram)\.me/)([A-Za-z][A-Za-z0-9_]{3,31})\b")
EMAIL_RE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
PHONE_HEADER_RE = re.compile(r"phone|tel|mobile|cell|тел|моб|номер|whatsapp|viber", re.I)


class ListError(ValueError):
    """The whole file cannot be read (binary, unknown encoding)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


_RU_MOBILE = re.compile(r"^(?:\+7|7|8)?(9\d{9})$")


def normalise_phone(candidate: str, memo: dict[str, str | None] | None = None) -> str:
    """`normalise("phone", ...)`, with a fast path for Russian mobiles (the bulk of any
    list here: "+7 9…", "8 9…", "9…" with ten digits after the country code always
    give "+79…", which a test checks against phonenumbers) and a per-list memo, so
    a 5,000-line list costs a few thousand phonenumbers calls at most once each."""
    compact = ("+" if candidate.lstrip().startswith("+") else "") + re.sub(r"\D", "", candidate)
    if memo is not None and compact in memo:
        value = memo[compact]
        if value is None:
            raise NotAnIdentifier("not a phone number")
        return value
    fast = _RU_MOBILE.match(compact)
    try:
        value = "+7" + fast.group(1) if fast else normalise("phone", candidate)
    except NotAnIdentifier:
        if memo is not None:
            memo[compact] = None
        raise
    if memo is not None:
        memo[compact] = value
    return value


@dataclass
class Parsed:
    fmt: str
    lines: int = 0
    entries: list[tuple[int, str, str]] = field(default_factory=list)  # (line, kind, normalised)
    failures: list[tuple[int, str]] = field(default_factory=list)  # (line, reason code)
    failed: int = 0
    memo: dict = field(default_factory=dict, repr=False)

    def fail(self, line: int, code: str) -> None:
        self.failed += 1
        if len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append((line, code))

    def unique(self) -> dict[tuple[str, str], int]:
        """(kind, value) → first line it was seen on."""
        seen: dict[tuple[str, str], int] = {}
        for line, kind, value in self.entries:
            seen.setdefault((kind, value), line)
        return seen


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ListError("encoding") from None
    if b"\x00" in data:
        raise ListError("binary")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Russian phone books exported on Windows are often Windows-1251.
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        raise ListError("encoding") from None
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum("\u0400" <= ch <= "\u04ff" or ch.isascii() for ch in letters) / len(letters) > 0.9:
        return text
    raise ListError("encoding")


def detect(text: str, filename: str = "") -> str:
    name = filename.lower()
    if re.search(r"^\s*BEGIN:VCARD", text[:100_000], re.I | re.M) or name.endswith((".vcf", ".vcard")):
        return "vcard"
    if name.endswith((".csv", ".tsv")):
        return "csv"
    if name.endswith(".txt"):
        return "text"
    sample = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if len(sample) >= 2:
        for delimiter in (",", ";", "\t", "|"):
            counts = [ln.count(delimiter) for ln in sample]
            if min(counts) >= 1 and counts.count(counts[0]) >= 0.8 * len(counts):
                return "csv"
    return "text"


def parse(data: bytes | str, filename: str = "") -> Parsed:
    text = data if isinstance(data, str) else decode(data)
    if "\x00" in text:
        raise ListError("binary")
    fmt = detect(text, filename)
    parsed = Parsed(fmt=fmt)
    {"vcard": _parse_vcard, "csv": _parse_csv, "text": _parse_text}[fmt](text, parsed)
    return parsed


# --- extracting identifiers from free text ----------------------------------------------
def _phone_candidates(match: str) -> list[str]:
    digits = sum(ch.isdigit() for ch in match)
    if digits > 15:
        # Several numbers separated only by spaces.
        return [tok for tok in re.split(r"\s{2,}|\s(?=\+|8\s?\(?9|00)", match) if tok.strip()]
    return [match]


def _looks_formatted(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    return candidate.lstrip().startswith(("+", "00")) or (len(digits) == 11 and digits[0] in "78")


def extract(cell: str, line: int, parsed: Parsed, *, strict: bool, loose_phones: bool = True) -> int:
    """Add the identifiers found in `cell`; returns how many. With `strict`, phone-shaped
    text that is not a possible number is a failure; otherwise it is ignored (dates,
    amounts and ids in other columns)."""
    found = 0
    rest = cell
    for match in EMAIL_RE.findall(rest):
        try:
            parsed.entries.append((line, "email", normalise("email", match)))
            found += 1
        except NotAnIdentifier:
            parsed.fail(line, "bad_email")
    rest = EMAIL_RE.sub(" ", rest)
    for match in HANDLE_RE.findall(rest):
        try:
            parsed.entries.append((line, "handle", normalise("handle", match)))
            found += 1
        except NotAnIdentifier:
            parsed.fail(line, "bad_handle")
    rest = HANDLE_RE.sub(" ", rest)
    for match in PHONE_RE.findall(rest):
        for candidate in _phone_candidates(match):
            if sum(ch.isdigit() for ch in candidate) < 7:
                continue
            if not loose_phones and not _looks_formatted(candidate):
                continue
            try:
                parsed.entries.append((line, "phone", normalise_phone(candidate, parsed.memo)))
                found += 1
            except NotAnIdentifier:
                if strict:
                    parsed.fail(line, "not_phone")
    return found


# --- formats ----------------------------------------------------------------------------
def _lines(text: str):
    for number, line in enumerate(text.splitlines(), start=1):
        if number > MAX_LINES:
            raise ListError("too_many_lines")
        yield number, line


def _parse_text(text: str, parsed: Parsed) -> None:
    for number, line in _lines(text):
        parsed.lines = number
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if len(line) > MAX_LINE_CHARS:
            parsed.fail(number, "too_long")
            continue
        failed_before = parsed.failed
        if extract(line, number, parsed, strict=True) == 0 and parsed.failed == failed_before:
            parsed.fail(number, "no_identifier")


def _dialect(text: str):
    sample = "\n".join(text.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _parse_csv(text: str, parsed: Parsed) -> None:
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text), strict=True)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            parsed.fail(start, "csv_syntax")
            continue
        if reader.line_num > MAX_LINES:
            raise ListError("too_many_lines")
        if any(len(cell) > MAX_LINE_CHARS for cell in row):
            parsed.fail(start, "too_long")
            continue
        rows.append((start, row))
    parsed.lines = reader.line_num
    if not rows:
        return
    # Phone columns are recognised by content: most of their cells hold a number.
    width = max(len(r) for _, r in rows)
    scores = [0] * width
    filled = [0] * width
    probe = Parsed(fmt="csv", memo=parsed.memo)
    for _, row in rows[:500]:
        for i, cell in enumerate(row):
            if cell.strip():
                filled[i] += 1
                if extract(cell, 0, probe, strict=False):
                    scores[i] += 1
    header = rows[0][1]
    header_is_names = not any(extract(cell, 0, Parsed(fmt="csv", memo=parsed.memo), strict=False)
                              for cell in header)
    phone_cols = {i for i in range(width) if filled[i] and scores[i] / filled[i] >= 0.5}
    if header_is_names:
        phone_cols |= {i for i, name in enumerate(header) if PHONE_HEADER_RE.search(name)}
        rows = rows[1:]
    for number, row in rows:
        found = 0
        failed_before = parsed.failed
        for i, cell in enumerate(row):
            if cell.strip():
                found += extract(cell, number, parsed, strict=i in phone_cols, loose_phones=i in phone_cols)
        if found == 0 and parsed.failed == failed_before and any(row[i].strip() for i in phone_cols if i < len(row)):
            parsed.fail(number, "not_phone")


def _parse_vcard(text: str, parsed: Parsed) -> None:
    import vobject

    card: list[str] = []
    begin = 0
    for number, line in _lines(text):
        parsed.lines = number
        upper = line.strip().upper()
        if upper.startswith("BEGIN:VCARD"):
            if card:
                parsed.fail(begin, "vcard_unclosed")
            card, begin = [line], number
            continue
        if not card:
            if line.strip():
                parsed.fail(number, "outside_vcard")
            continue
        card.append(line)
        if upper.startswith("END:VCARD"):
            try:
                component = vobject.readOne("\r\n".join(card) + "\r\n", ignoreUnreadable=True)
            except Exception as exc:  # vobject raises several unrelated types
                offset = getattr(exc, "lineNumber", None)
                parsed.fail(begin + (offset - 1 if isinstance(offset, int) and offset > 0 else 0), "vcard_syntax")
            else:
                _vcard_identifiers(component, begin, parsed)
            card = []
    if card:
        parsed.fail(begin, "vcard_unclosed")


def _vcard_identifiers(component, line: int, parsed: Parsed) -> None:
    for child in component.getChildren():
        name = child.name.upper()
        value = child.value if isinstance(child.value, str) else ""
        if name == "TEL":
            value = re.sub(r"^tel:", "", value.strip(), flags=re.I)
            try:
                parsed.entries.append((line, "phone", normalise_phone(value, parsed.memo)))
            except NotAnIdentifier:
                parsed.fail(line, "not_phone")
        elif name == "EMAIL":
            try:
                parsed.entries.append((line, "email", normalise("email", value)))
            except NotAnIdentifier:
                parsed.fail(line, "bad_email")
        elif name in {"IMPP", "X-TELEGRAM", "X-SOCIALPROFILE", "URL", "X-SIGNAL", "X-WHATSAPP"}:
            value = re.sub(r"^(x-apple|telegram|tg|signal|whatsapp|im|xmpp):", "", value.strip(), flags=re.I)
            if name in {"X-SIGNAL", "X-WHATSAPP"} or PHONE_RE.fullmatch(value.strip()):
                extract(value, line, parsed, strict=False)
            elif name == "URL" and "t.me/" not in value and "telegram.me/" not in value:
                continue
            else:
                extract(value if ("/" in value or value.startswith("@")) else "@" + value, line, parsed,
                        strict=False)
