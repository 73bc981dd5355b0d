"""The menu is built once per role: each role still gets exactly its own items."""

from __future__ import annotations

import pytest

from corridor.web import registry

pytestmark = pytest.mark.django_db


def test_each_role_gets_its_own_menu_from_the_cache(cast):
    registry._NAV.clear()
    people = [cast.alice, cast.coordinator, cast.operator, cast.legal, cast.finance, cast.admin, cast.auditor]
    for user in people:
        first = registry.nav_for(user)
        assert first == registry._build_nav(user)
        assert registry.nav_for(user) is first  # cached
    menus = {user.role: [i["name"] for i in registry.nav_for(user)] for user in people}
    assert "cases:dashboard" in menus["coordinator"] and "cases:dashboard" not in menus["case_worker"]
    assert "funds:index" in menus["finance"] and "funds:index" not in menus["case_worker"]


def test_a_deactivated_user_does_not_get_the_active_menu(cast):
    registry._NAV.clear()
    active = registry.nav_for(cast.coordinator)
    cast.coordinator.is_active = False
    assert registry.nav_for(cast.coordinator) != active
    assert registry.nav_for(cast.coordinator) == registry._build_nav(cast.coordinator)
