"""Reading a CSV of earlier records (docs/import.md): one row per person who
contacted the organisation before it used Corridor, with the dates of each step.

Pure parsing and checking, no database writes: every problem is reported with its
line number and column, and nothing is imported while any line is wrong.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.utils import timezone

from corridor.intake.models import Channel, Status, Urgency

STAGE_COLUMNS = ["vetting", "accepted", "leaving_region", "sheltered", "documents", "visa_asylum", "departed",
                 "resettled"]
CASE_STAGES = STAGE_COLUMNS[1:]  # a date in any of these makes the row a case
EXITS = ["lost_contact", "detained", "returned", "deceased", "closed"]
OUTCOMES = [Status.NEW, Status.VETTING, Status.DECLINED, Status.REFERRED, Status.SPAM, Status.PROVOCATION]
CHANNELS = [c for c in Channel.values if c != Channel.WEB]
COLUMNS = ["ref", "contacted", "channel", "outcome", "urgency", "what", "where", "note", "name", "phone", "worker",
           *STAGE_COLUMNS, "exit", "exit_date"]
MAX_TEXT = 20000
MAX_ROWS = 100_000
REASON_MIN = 10
CLOCK_SKEW = timedelta(minutes=10)


@dataclass
class Row:
    line: int
    ref: str
    contacted: datetime
    channel: str
    outcome: str
    urgency: int
    what: str
    where: str
    note: str
    name: str
    phone: str
    worker: str
    steps: list[tuple[str, datetime]] = field(default_factory=list)  # vetting … exit, in order

    @property
    def is_case(self) -> bool:
        return any(stage not in ("vetting",) for stage, _at in self.steps)


@dataclass
class Parsed:
    rows: list[Row]
    errors: list[tuple[int, str]]


def _when(value: str) -> datetime:
    """`YYYY-MM-DD` (noon that day, so no time zone moves it to another day) or
    `YYYY-MM-DD HH:MM`, in the server's time zone."""
    value = value.strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d":
            parsed = datetime.combine(parsed.date(), time(12))
        return timezone.make_aware(parsed)
    raise ValueError(value)


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("the file is neither UTF-8 nor Windows-1251")


def parse(text: str, *, normalise_phone=None, workers: set[str] = frozenset()) -> Parsed:
    """Rows and line-numbered errors. `normalise_phone` raises ValidationError for a
    number that is not one; `workers` are the usernames a row may name."""
    from django.core.exceptions import ValidationError

    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    errors: list[tuple[int, str]] = []
    if "contacted" not in header:
        return Parsed([], [(1, "the header must name the columns; `contacted` is required (see docs/import.md)")])
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        errors.append((1, f"unknown column(s) {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}"))
    reader.fieldnames = header
    rows: list[Row] = []
    now = timezone.now()
    for raw in reader:
        line = reader.line_num
        if len(rows) >= MAX_ROWS:
            errors.append((line, f"more than {MAX_ROWS} rows: split the file"))
            break
        cells = {k: (v or "").strip() for k, v in raw.items() if k in COLUMNS}
        if None in raw:
            errors.append((line, "more cells than columns (a comma inside text needs quotes)"))
            continue
        if not any(cells.values()):
            continue
        problems: list[str] = []

        def date_of(column: str, cells=cells, problems=problems) -> datetime | None:
            if not cells.get(column):
                return None
            try:
                when = _when(cells[column])
            except ValueError:
                problems.append(f"{column}: {cells[column]!r} is not a date (YYYY-MM-DD or YYYY-MM-DD HH:MM)")
                return None
            if when > now + CLOCK_SKEW:
                problems.append(f"{column}: {cells[column]} is in the future")
            return when

        contacted = date_of("contacted")
        if not cells.get("contacted"):
            problems.append("contacted: the date of first contact is required")
        channel = (cells.get("channel") or "phone").lower()
        if channel not in CHANNELS:
            problems.append(f"channel: {channel!r} is not one of {', '.join(CHANNELS)}")
        outcome = (cells.get("outcome") or "").lower()
        if outcome and outcome not in OUTCOMES:
            problems.append(f"outcome: {outcome!r} is not one of {', '.join(OUTCOMES)}")
        try:
            urgency = int(cells.get("urgency") or 0)
            if urgency not in Urgency.values:
                raise ValueError
        except ValueError:
            problems.append("urgency: 0 (not stated), 1 (not urgent), 2 (within days) or 3 (in danger now)")
            urgency = 0
        for column in ("what", "where", "note", "name"):
            if len(cells.get(column, "")) > MAX_TEXT:
                problems.append(f"{column}: longer than {MAX_TEXT} characters")
        phone = cells.get("phone", "")
        if phone and normalise_phone is not None:
            try:
                phone = normalise_phone(phone)
            except ValidationError as exc:
                problems.append(f"phone: {' '.join(exc.messages)}")
        worker = cells.get("worker", "")
        if worker and worker not in workers:
            problems.append(f"worker: no active case worker {worker!r} in the organisation")
        steps = [(stage, at) for stage in STAGE_COLUMNS if (at := date_of(stage)) is not None]
        exit_stage = (cells.get("exit") or "").lower()
        if exit_stage:
            if exit_stage == "declined":
                problems.append("exit: declining is a vetting decision; put `declined` in outcome and leave the "
                                "case dates empty")
            elif exit_stage not in EXITS:
                problems.append(f"exit: {exit_stage!r} is not one of {', '.join(EXITS)}")
            exit_at = date_of("exit_date")
            if not cells.get("exit_date"):
                problems.append("exit_date: the date of the exit is required with exit")
            elif exit_at is not None and exit_stage in EXITS:
                steps.append((exit_stage, exit_at))
        elif cells.get("exit_date"):
            problems.append("exit_date: given without exit")
        previous = ("contacted", contacted)
        for stage, at in steps:
            if previous[1] is not None and at < previous[1]:
                problems.append(f"{stage}: {at:%Y-%m-%d} is before {previous[0]} ({previous[1]:%Y-%m-%d}); "
                                "dates must be in order")
            previous = (stage, at)
        is_case = any(stage != "vetting" for stage, _at in steps)
        if is_case and exit_stage == "returned" and not any(s in ("leaving_region", "sheltered", "documents",
                                                                  "visa_asylum") for s, _a in steps):
            problems.append("exit: `returned` means back to the region, so it needs a date of leaving it")
        if is_case and outcome and outcome not in (Status.NEW, Status.VETTING):
            problems.append(f"outcome: {outcome!r} contradicts the case dates (a case means accepted)")
        if not is_case and (worker or cells.get("name")):
            problems.append("name and worker are for people who became a case (give the accepted date)")
        if outcome == Status.PROVOCATION and len(cells.get("note", "")) < REASON_MIN:
            problems.append(f"note: a suspected provocation needs its reason (at least {REASON_MIN} characters)")
        if problems:
            errors.extend((line, problem) for problem in problems)
            continue
        rows.append(Row(line=line, ref=cells.get("ref", ""), contacted=contacted, channel=channel,
                        outcome=outcome or (Status.VETTING if steps else Status.NEW), urgency=urgency,
                        what=cells.get("what", ""), where=cells.get("where", ""), note=cells.get("note", ""),
                        name=cells.get("name", ""), phone=phone, worker=worker, steps=steps))
    return Parsed(rows, errors)
