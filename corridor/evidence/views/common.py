from __future__ import annotations

from django.shortcuts import render

from corridor.evidence.services import EvidenceError


def attempt(form, action):
    """Run a service; a user-correctable EvidenceError becomes a form error."""
    try:
        return action()
    except EvidenceError as exc:
        form.add_error(None, str(exc))
        return None


def page(request, template: str, context: dict, status: int = 200):
    return render(request, f"evidence/{template}", context, status=status)
