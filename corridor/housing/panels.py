from __future__ import annotations

from corridor.housing.selectors import houses_for_user, occupancy_now


def occupancy(request) -> dict | None:
    now = occupancy_now(request.user.organisation_id)
    if not now["houses"]:
        return None
    return {"now": now, "houses": houses_for_user(request.user)[:8]}
