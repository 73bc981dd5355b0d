"""Shapes shared by every endpoint: errors and pages."""

from __future__ import annotations

from typing import Any

from ninja import Schema


class Error(Schema):
    """`detail` is a short code or message; for invalid input, the problems per field."""

    detail: Any


# Every token-protected operation may answer these; they are listed in the OpenAPI
# document so a client (and the fuzzer) knows them.
ERRORS: dict[int, type[Schema]] = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error, 503: Error}
PUBLIC_ERRORS: dict[int, type[Schema]] = {400: Error, 404: Error, 422: Error}
PAGE_SIZE = 50


def page_slice(page: int) -> slice:
    page = max(1, min(int(page), 10**6))
    start = (page - 1) * PAGE_SIZE
    return slice(start, start + PAGE_SIZE + 1)


def links(status: int, targets: dict[str, dict[str, str]]) -> dict:
    """`openapi_extra` declaring OpenAPI links from this operation's `status` answer
    to other operations (by operationId, which is the url_name), with each target's
    parameters as runtime expressions. Clients may follow them; the stateful fuzz
    run does (corridor/api/tests/test_schemathesis.py)."""
    # ninja keys the generated responses by int status: the same key, so they merge.
    return {"responses": {status: {"links": {
        f"to_{op}": {"operationId": op, "parameters": params} for op, params in targets.items()}}}}
