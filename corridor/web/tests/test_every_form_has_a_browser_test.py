"""Every view that accepts POST is submitted by a browser test, or says why not.

The list is generated from the URL patterns, so a new form without a browser test
fails here. A form test is a test function in `test_browser_forms_*.py` marked
`@submits(<url name>, ...)`; the `forms` fixture then fails it unless Chromium
really posted to each of those URL names and got an answer below 400.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from django.urls import URLPattern, URLResolver, get_resolver

import corridor.web.tests

# Views that accept POST but are not forms a person fills in, with the reason.
NOT_A_FORM: dict[str, str] = {
    "cases:household_create": "no page posts to it: a household is created by adding its first member "
                              "(cases:member_add, tested)",
}

# Forms whose browser test is still missing, each with the reason: an honest list,
# kept short, that the next change must empty.
CONFIRMATION_PENDING: dict[str, str] = {
    "funds:month_close": "closing a month installs the triggers that forbid deleting its rows, which a "
                         "live-server test's table flush must do (Django-client tests in funds/tests)",
    "cases:erasure_hold": "a legal officer's hold needs a testimony in a lodged filing; Django-client test in "
                          "cases/tests/test_erasure_flow.py",
}

# Forms submitted in Chromium by an older browser test of their own app.
COVERED_ELSEWHERE: dict[str, str] = {
    "accounts:login": "corridor.accounts.tests.test_browser_login::test_a_staff_member_signs_in_with_password_and_code",
    "accounts:code": "corridor.accounts.tests.test_browser_login::test_a_staff_member_signs_in_with_password_and_code",
    "exposure:imports": "corridor.exposure.tests.test_browser::test_a_coordinator_imports_a_seized_csv_file",
    "public:intake": "corridor.intake.tests.test_browser::test_the_whole_journey_without_javascript",
    "public:receipt": "corridor.intake.tests.test_browser::test_the_whole_journey_without_javascript",
    "public:follow_up": "corridor.intake.tests.test_browser::test_the_whole_journey_without_javascript",
    "cases:erase_request": "corridor.cases.tests.test_browser_erasure::test_a_coordinator_asks_and_another_approves_in_the_browser",
    "cases:erasure_decide": "corridor.cases.tests.test_browser_erasure::test_a_coordinator_asks_and_another_approves_in_the_browser",
}


def _patterns(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _patterns(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            yield f"{namespace}{p.name}", p.callback


def _allowed_methods(view) -> set[str] | None:
    """The methods of `require_http_methods` (and `require_POST`) in the decorator chain."""
    func, seen = view, set()
    while func is not None and id(func) not in seen:
        seen.add(id(func))
        for cell in func.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if isinstance(value, (list, tuple)) and value and all(isinstance(m, str) and m.isupper() for m in value):
                return set(value)
        func = getattr(func, "__wrapped__", None)
    return None


def accepts_post(view) -> bool:
    methods = _allowed_methods(view)
    if methods is not None:
        return "POST" in methods
    # An undecorated view takes every method: it counts as a form if it reads one.
    source = inspect.getsource(inspect.unwrap(view))
    return "POST" in source


# The REST API's operations take JSON from programs, not forms from people: each is
# driven by schemathesis from the OpenAPI document (corridor/api/tests/test_schemathesis.py).
NOT_FORMS_NAMESPACES = ("api:",)


def post_views() -> dict[str, object]:
    return {name: view for name, view in _patterns(get_resolver().url_patterns)
            if not name.startswith(NOT_FORMS_NAMESPACES) and accepts_post(view)}


def browser_form_tests() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for info in pkgutil.iter_modules(corridor.web.tests.__path__):
        if not info.name.startswith("test_browser_forms"):
            continue
        module = importlib.import_module(f"corridor.web.tests.{info.name}")
        for name, func in vars(module).items():
            if name.startswith("test_") and callable(func):
                for url_name in getattr(func, "submits", ()):
                    found.setdefault(url_name, []).append(f"{info.name}::{name}")
    return found


def test_the_walk_finds_the_forms_it_must():
    views = post_views()
    for name in ("exposure:imports", "cases:note_add", "public:intake", "housing:check_out", "accounts:logout"):
        assert name in views
    for name in ("cases:detail", "cases:list", "intake:queue"):
        assert name not in views


def test_every_form_has_a_browser_test():
    views = set(post_views())
    tested = set(browser_form_tests())
    untested = views - tested - set(NOT_A_FORM) - set(COVERED_ELSEWHERE) - set(CONFIRMATION_PENDING)
    assert not untested, (f"forms without a browser test: {sorted(untested)}; add them to a "
                          "corridor/web/tests/test_browser_forms_*.py test with @submits(...)")


def test_the_lists_name_only_real_forms_and_do_not_overlap():
    views = set(post_views())
    tested = set(browser_form_tests())
    for listed in (set(NOT_A_FORM), set(COVERED_ELSEWHERE), set(CONFIRMATION_PENDING), tested):
        assert listed <= views, f"not a POST view any more: {sorted(listed - views)}"
    assert not (set(COVERED_ELSEWHERE) & tested)
    assert not (set(CONFIRMATION_PENDING) & tested)


def test_forms_covered_elsewhere_point_at_real_browser_tests():
    for url_name, node in COVERED_ELSEWHERE.items():
        module_name, func_name = node.split("::")
        module = importlib.import_module(module_name)
        func = getattr(module, func_name)
        marks = [m.name for m in getattr(module, "pytestmark", [])] + [m.name for m in getattr(func, "pytestmark", [])]
        assert "browser" in marks, f"{url_name}: {node} is not a browser test"
