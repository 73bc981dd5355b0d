"""Helpers for the browser tests that submit every form of the product.

A test declares the URL names it submits with `@submits(...)`; the `forms`
fixture gives it Chromium pages that record every POST the browser makes, and
fails the test unless each declared URL name was really posted by the browser
and answered below 400 (a 403 from CSRF, a 404 from access or a 500 all fail).
`test_every_form_has_a_browser_test` walks the URL patterns and requires every
view that accepts POST to be declared here, or listed there with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve


def submits(*url_names: str):
    """Mark a browser test as the one that submits the forms behind `url_names`."""

    def mark(func):
        func.submits = tuple(url_names)
        return func

    return mark


@dataclass
class PostLog:
    posts: list[tuple[str, int, str]] = field(default_factory=list)

    def on_response(self, response) -> None:
        if response.request.method != "POST":
            return
        path = urlsplit(response.url).path
        try:
            name = resolve(path).view_name
        except Resolver404:
            name = f"<unresolved {path}>"
        self.posts.append((name, response.status, path))


@pytest.fixture
def forms(request, browser):
    """`forms(user=..., javascript=True)` → a Chromium page whose POSTs are checked."""
    declared = getattr(request.function, "submits", ())
    assert declared, "a form test must say which forms it submits with @submits(...)"
    log = PostLog()

    def make(**kwargs):
        page = browser(**kwargs)
        page.on("response", log.on_response)
        page.set_default_timeout(10_000)
        return page

    yield make
    failed = [(n, s, p) for n, s, p in log.posts if s >= 400 and n not in getattr(request.function, "may_refuse", ())]
    assert not failed, f"the browser's form posts were refused: {failed}"
    missing = set(declared) - {n for n, _, _ in log.posts}
    assert not missing, f"declared but never submitted by the browser: {sorted(missing)}"


def form_for(page, action: str | None = None, *, selector: str | None = None):
    """The form posting to `action` (a path), or matching `selector`."""
    form = page.locator(selector).first if selector else page.locator(f"form[action='{action}']").first
    # Forms folded into <details> are opened as a person would before typing.
    form.evaluate("f => { for (let d = f.closest('details'); d; d = d.parentElement.closest('details')) d.open = true; }")
    return form


def fill(form, values: dict) -> None:
    """Fill named fields, whatever their kind (text, select, checkbox, radio, file).

    A select takes a value or {"index": n}; a checkbox a bool, a list of values, or
    "first" (the first of several)."""
    for name, value in values.items():
        field_ = form.locator(f"[name='{name}']")
        first = field_.first
        tag = first.evaluate("e => e.tagName.toLowerCase()")
        kind = (first.get_attribute("type") or "").lower()
        if tag == "select" and isinstance(value, dict):
            first.select_option(index=value["index"])
        elif tag == "select":
            if first.get_attribute("multiple") is not None:
                first.select_option(value if isinstance(value, list) else [value])
            else:
                first.select_option(str(value))
        elif kind == "checkbox":
            if value == "first":
                first.check()
            elif isinstance(value, list):
                for v in value:
                    form.locator(f"[name='{name}'][value='{v}']").check()
            elif value:
                first.check()
            else:
                first.uncheck()
        elif kind == "radio":
            form.locator(f"[name='{name}'][value='{value}']").check()
        elif kind == "file":
            first.set_input_files(value)
        else:
            first.fill(str(value))


def submit(page, action: str | None = None, values: dict | None = None, *, selector: str | None = None,
           button: str | None = None, download: bool = False):
    """Fill the form and press its submit button, as a person would, then wait for
    the next page (or, with `download`, for the file, which is returned)."""
    form = form_for(page, action, selector=selector)
    fill(form, values or {})
    target = form.locator(button) if button else form.locator("button:not([type=button]), input[type=submit]").last
    if download:
        with page.expect_download() as info:
            target.click()
        return info.value
    with page.expect_navigation():
        target.click()
    return None


def text(page) -> str:
    return page.inner_text("body")
