"""What a bulk export contains. Without names nothing is decrypted; with names,
keys are unwrapped in batches (and the request was capped at request time)."""

from __future__ import annotations

from corridor.cases.models import ExportRequest
from corridor.cases.selectors.lists import CaseFilters, list_total, search_cases
from corridor.crypto import keys

BATCH = 500


def _filters(data: dict) -> CaseFilters:
    return CaseFilters.from_query({k: v for k, v in (data or {}).items() if k in ("stage", "worker", "country")})


def export_size(user, filters: dict) -> int:
    """From the running totals when they cover the filters (an export page view must
    not count a million cases); exactly otherwise."""
    parsed = _filters(filters)
    total = list_total(user, parsed)
    return search_cases(user, parsed).count() if total is None else total


def export_rows(user, request: ExportRequest) -> tuple[list[str], list[list]]:
    qs = (search_cases(request.requested_by, _filters(request.filters))
          .select_related("person__data_key", "worker", "household").order_by("code"))
    header = ["code", "household", "stage", "stage_since", "days_in_stage", "worker", "opened", "risk", "wanted"]
    if request.include_names:
        header += ["name_cyrillic", "name_latin"]
    rows: list[list] = []
    batch: list = []

    def flush() -> None:
        if request.include_names:
            keys.preload([c.person.data_key for c in batch])
        for c in batch:
            row = [c.code, c.household.code if c.household else "", c.stage, c.stage_since.date().isoformat(),
                   c.days_in_stage, c.worker.username if c.worker else "", c.opened.date().isoformat(),
                   c.person.risk, "yes" if c.person.wanted else ""]
            if request.include_names:
                identity = c.person.identity if isinstance(c.person.identity, dict) else {}
                row += [identity.get("name_cyrillic", ""), identity.get("name_latin", "")]
            rows.append(row)
        batch.clear()

    for case in qs.iterator(chunk_size=2000):
        batch.append(case)
        if len(batch) >= BATCH:
            flush()
    flush()
    return header, rows
