"""The REST API (`/api/v1/`): one NinjaAPI, its routers, and how errors answer.

The OpenAPI 3.1 document at /api/v1/openapi.json is generated from these
functions and their pydantic schemas; /api/v1/docs shows it with the Swagger UI
files shipped inside the pinned django-ninja wheel, served from our own origin.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import NinjaAPI, Swagger

from corridor.api.auth import ReadOnlyToken, TokenAuth
from corridor.cases.selectors import BreakGlassRequired, CaseLocked
from corridor.evidence.services import EvidenceError
from corridor.keyd.errors import CeilingTripped, KeydUnavailable, PrincipalSuspended, Sealed

DESCRIPTION = """\
Corridor's REST API. Every operation except the public statistics needs a personal
token (`Authorization: Bearer crd_…`), made on the staff page *API tokens*. A token
acts as its owner, narrowed to the permissions chosen for it and to reading unless
it is a write token; it reaches exactly what its owner reaches in the pages, through
the same access rules (need-to-know, break-glass, two-person approvals, which no
token can give). Reads count against the owner's key-agent ceiling, like the pages.
"""

class CorridorAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        # The url_name (`case_read`, `intake_reply`…): short, stable, and what the
        # OpenAPI links between operations name (corridor/api/schemas.py `links`).
        return getattr(operation, "url_name", None) or super().get_openapi_operation_id(operation)


api = CorridorAPI(
    title="Corridor API", version="1", description=DESCRIPTION, urls_namespace="api",
    auth=TokenAuth(), docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False}),
    docs_url="/docs", openapi_url="/openapi.json",
)


def _error(request, detail, status: int):
    return api.create_response(request, {"detail": detail}, status=status)


@api.exception_handler(ReadOnlyToken)
def _read_only(request, exc):
    return _error(request, "read_only_token", 403)


@api.exception_handler(PermissionDenied)
def _denied(request, exc):
    return _error(request, "forbidden", 403)


@api.exception_handler(CaseLocked)
def _locked(request, exc):
    # Locked after a duress sign-in; two people unlock it at /staff/cases/locks/.
    return _error(request, "case_locked", 403)


@api.exception_handler(BreakGlassRequired)
def _break_glass(request, exc):
    return _error(request, "break_glass_required", 403)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": list(exc.messages)}
    return _error(request, {field: [str(m) for m in msgs] for field, msgs in detail.items()}, 422)


@api.exception_handler(EvidenceError)
def _evidence_refused(request, exc):
    return _error(request, {"__all__": [str(exc)]}, 422)


@api.exception_handler(PrincipalSuspended)
def _suspended(request, exc):
    # As on the pages (corridor/web/ceiling.py): the account that pulled too many
    # distinct keys is deactivated, which also ends every token it has.
    from corridor.accounts.services import user_suspend_for_unwraps

    user = getattr(request, "auth", None) or getattr(request, "user", None)
    if getattr(user, "is_authenticated", False) and user.is_active:
        user_suspend_for_unwraps(user=user, reason=str(exc)[:200])
    return _error(request, "suspended", 403)


@api.exception_handler(CeilingTripped)
def _ceiling(request, exc):
    from corridor.web.middleware import _record_ceiling

    _record_ceiling(request)
    return _error(request, "sealed", 503)


@api.exception_handler(Sealed)
def _sealed(request, exc):
    return _error(request, "sealed", 503)


@api.exception_handler(KeydUnavailable)
def _unavailable(request, exc):
    return _error(request, "unavailable", 503)


def _routers() -> None:
    from corridor.api.endpoints import calendar, cases, funds, intake, public, violations

    api.add_router("/public", public.router)
    api.add_router("/cases", cases.router)
    api.add_router("/intake", intake.router)
    api.add_router("/violations", violations.router)
    api.add_router("/funds", funds.router)
    api.add_router("", calendar.router)


_routers()
