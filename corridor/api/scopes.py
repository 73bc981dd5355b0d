"""What a personal API token may be given: a part of its owner's role, never more.

A token's effective permissions are computed on every request as

    (permissions chosen at creation) ∩ (the owner's role today) ∩ (READ, plus WRITE if a write token)

and set on the user as `token_scope`, which `corridor.accounts.permissions.has_perm`
honours: the API calls the same access functions and services as the pages, so
there is no second permission system to keep in step.

Permissions that are not listed here never reach a token. In particular the second
person of a two-person rule (export approval, expense approval, bundle approval,
erasure), referrals, account management and sealing stay in the signed-in pages.
FUNDS_EDIT (a write scope) lets a token record donations and expenses; the API
never answers with a donor's identity or a payee, even to such a token.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from corridor.accounts.permissions import Perm, perms_for

READ: dict[Perm, object] = {
    Perm.CASE_VIEW_ASSIGNED: _("Read the cases assigned to me"),
    Perm.CASE_VIEW_ALL: _("Read every case of the organisation"),
    Perm.CASE_BREAK_GLASS: _("Open other cases with a written reason (break-glass)"),
    Perm.TRIAGE: _("Read the triage queue"),
    Perm.EVIDENCE_VIEW: _("Read violation events"),
    Perm.FUNDS_VIEW: _("Read donations and expenses"),
}
WRITE: dict[Perm, object] = {
    Perm.CASE_EDIT: _("Move cases between stages; record check-ins, services and documents"),
    Perm.TRIAGE_DECIDE: _("Decide on contacts in triage and open cases for them"),
    Perm.CASE_ASSIGN: _("Assign cases to case workers"),
    Perm.EVIDENCE_EDIT: _("Record violation events and acts"),
    Perm.FUNDS_EDIT: _("Record donations and expenses"),
}
# What needs a write token even though the role's permission may read too: the
# service the endpoint calls checks the permission, the API checks the token kind.
ALL: dict[Perm, object] = {**READ, **WRITE}


def offered(user) -> list[tuple[Perm, object, bool]]:
    """(permission, label, is_write) for each scope this user's role can give a token."""
    role = perms_for(user.role)
    return [(perm, label, perm in WRITE) for perm, label in ALL.items() if perm in role]


def effective(chosen, role: str, *, write: bool) -> frozenset[Perm]:
    allowed = set(READ) | (set(WRITE) if write else set())
    chosen_perms = set()
    for value in chosen:
        try:
            chosen_perms.add(Perm(value))
        except ValueError:
            continue
    return frozenset(chosen_perms & perms_for(role) & allowed)
