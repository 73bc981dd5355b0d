"""A per-user calendar feed (iCalendar) of filing deadlines, check-ins and documents
that run out.

Calendar programs subscribe to a URL and cannot send headers, so this one
operation also takes the token as `?token=`; there it must be a read-only token
(a URL ends up in more places than a header), and it opens nothing else.

Titles name only pseudonymous codes (a filing's `F-…`, a case's `K-…`) and the kind
of date: a filing's title and a person's name are encrypted and never leave here.
What a feed holds is what its owner may see: deadlines with EVIDENCE_VIEW, check-ins
and document expiries of the cases they may list.

Filing deadlines are the ones the project records (corridor/evidence: the ECHR time
limit of an application not yet lodged, and each filing's next deadline, which its
latest step sets); cases and reports record no other deadline. Check-ins: every
check-in the schedule expects from the next one due until CHECKIN_DAYS ahead, as one
event per case with an hourly RRULE (a case checked every 2 hours would otherwise be
84 events a week); a one-off due time without a schedule is a single event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import vobject
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router
from ninja.security import APIKeyQuery

from corridor.accounts.permissions import Perm
from corridor.api.auth import TokenAuth
from corridor.api.schemas import ERRORS
from corridor.cases.selectors import visible_cases
from corridor.evidence.selectors import deadlines_for

router = Router(tags=["calendar"])
CHECKIN_MINUTES = 30
PAST_DAYS = 30  # deadlines, check-ins and expiries this far back stay visible
CHECKIN_DAYS = 14  # scheduled check-ins this far ahead
MAX_CASES = 500


class QueryTokenAuth(APIKeyQuery):
    """`?token=`: read-only tokens only, for the feed only."""

    param_name = "token"

    def authenticate(self, request, key):
        from corridor.api.selectors import user_for_secret

        found = user_for_secret(key or "")
        if found is None or found[1].write:
            return None
        return TokenAuth().authenticate(request, key)


def _utc(moment: datetime) -> datetime:
    # vobject writes UTC times as "…Z" only for its own UTC tzinfo.
    return moment.astimezone(vobject.icalendar.utc)


def _uid(kind: str, pk) -> str:
    return f"{kind}-{pk}@corridor"


def _feed(user, now: datetime) -> str:
    cal = vobject.iCalendar()
    cal.add("prodid").value = "-//Corridor//deadlines//EN"
    cal.add("x-wr-calname").value = _("Corridor: deadlines and check-ins")
    today = timezone.localdate(now)
    if user.can(Perm.EVIDENCE_VIEW):
        for row in deadlines_for(user, today):
            if (today - row["date"]).days > PAST_DAYS:
                continue
            filing = row["filing"]
            event = cal.add("vevent")
            event.add("uid").value = _uid(f"deadline-{row['kind']}", filing.pk)
            event.add("dtstamp").value = _utc(now)
            event.add("dtstart").value = row["date"]
            event.add("dtend").value = row["date"] + timedelta(days=1)
            if row["kind"] == "echr":
                title = _("ECHR time limit: %(code)s") % {"code": filing.code}
            else:
                title = _("Filing deadline: %(code)s (%(body)s)") % {"code": filing.code,
                                                                     "body": filing.get_body_display()}
            event.add("summary").value = title
            event.add("categories").value = ["deadline"]
    if user.can(Perm.CASE_VIEW_ASSIGNED):
        _checkins(cal, user, now)
        _expiries(cal, user, now, today)
    return cal.serialize()


def _checkins(cal, user, now: datetime) -> None:
    until = now + timedelta(days=CHECKIN_DAYS)
    due = (visible_cases(user).filter(closed__isnull=True, next_checkin_due__isnull=False,
                                      next_checkin_due__gte=now - timedelta(days=PAST_DAYS),
                                      next_checkin_due__lte=until)
           .only("id", "code", "next_checkin_due", "checkin_every_hours")
           .order_by("next_checkin_due")[:MAX_CASES])
    for case in due:
        event = cal.add("vevent")
        event.add("uid").value = _uid("checkin", case.pk)
        event.add("dtstamp").value = _utc(now)
        event.add("dtstart").value = _utc(case.next_checkin_due)
        event.add("dtend").value = _utc(case.next_checkin_due + timedelta(minutes=CHECKIN_MINUTES))
        every = case.checkin_every_hours
        if every:
            # RFC 5545: UNTIL is in UTC when DTSTART is; the last one due before `until` is included.
            event.add("rrule").value = f"FREQ=HOURLY;INTERVAL={int(every)};UNTIL={_utc(until):%Y%m%dT%H%M%SZ}"
        event.add("summary").value = _("Check-in due: %(code)s") % {"code": case.code}
        event.add("categories").value = ["check-in"]


def _expiries(cal, user, now: datetime, today) -> None:
    """The day a person's identity document runs out (travel needs a valid one): by
    the case's code and the kind of document, never its number."""
    from corridor.cases.models import Document

    gone = (Document.Status.LOST, Document.Status.SEIZED)
    rows = (visible_cases(user).filter(closed__isnull=True, person__documents__expires__isnull=False,
                                       person__documents__expires__gte=today - timedelta(days=PAST_DAYS))
            .values("code", "person__documents__id", "person__documents__kind", "person__documents__expires",
                    "person__documents__status").order_by("person__documents__expires")[:MAX_CASES])
    docs = [{"id": r["person__documents__id"], "kind": r["person__documents__kind"], "code": r["code"],
             "expires": r["person__documents__expires"]} for r in rows if r["person__documents__status"] not in gone]
    for doc in docs:
        event = cal.add("vevent")
        event.add("uid").value = _uid("document", doc["id"])
        event.add("dtstamp").value = _utc(now)
        event.add("dtstart").value = doc["expires"]
        event.add("dtend").value = doc["expires"] + timedelta(days=1)
        event.add("summary").value = _("Document expires: %(code)s (%(kind)s)") % {
            "code": doc["code"], "kind": Document.Kind(doc["kind"]).label}
        event.add("categories").value = ["document"]


@router.get("/calendar.ics", auth=[TokenAuth(), QueryTokenAuth()], response=ERRORS, url_name="calendar_feed",
            summary="Filing deadlines, scheduled check-ins and document expiries, as an iCalendar feed "
                    "(pseudonyms only)",
            openapi_extra={"responses": {"200": {"description": "iCalendar feed",
                                                 "content": {"text/calendar": {"schema": {"type": "string"}}}}}})
def calendar_feed(request):
    user = request.auth
    if not (user.can(Perm.EVIDENCE_VIEW) or user.can(Perm.CASE_VIEW_ASSIGNED)):
        raise Http404
    response = HttpResponse(_feed(user, timezone.now()), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="corridor.ics"'
    return response
