"""Small template helpers for the cases and housing pages."""

from __future__ import annotations

from django import template

from corridor.cases.models import EXITS, Stage

register = template.Library()


@register.filter
def stage_class(stage: str) -> str:
    if stage == Stage.RESETTLED:
        return "stage stage-resettled"
    if stage in (Stage.DETAINED, Stage.DECEASED):
        return f"stage stage-exit stage-{stage}"
    return "stage stage-exit" if stage in EXITS else "stage"


@register.filter
def width_class(value, total) -> str:
    """A CSS width class in 5 % steps (the content security policy forbids style=)."""
    try:
        share = float(value) / float(total) if float(total) else 0.0
    except (TypeError, ValueError):
        share = 0.0
    return f"w{min(100, max(0, round(share * 20) * 5))}"


@register.filter
def get(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def stage_label(value: str) -> str:
    """A stored stage code ("leaving_region") as words, in the reader's language."""
    from corridor.cases.models import Stage

    return str(Stage(value).label) if value in Stage.values else (value or "")


@register.filter
def gender_label(value: str) -> str:
    """A stored gender identity code ("man") as words; free text stays as typed."""
    from corridor.cases.models.people import Gender

    return str(Gender(value).label) if value in Gender.values else (value or "")
