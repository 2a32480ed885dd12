"""Filters of the worker site's pages."""

from __future__ import annotations

from django import template

register = template.Library()

UNITS = [("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)]


@register.filter
def duration(seconds: int | None) -> str:
    """259200 -> "3 days", 5400 -> "1 hour 30 minutes": the two largest units, as MTurk's
    worker site shows time allotted."""
    if seconds is None:
        return ""
    left = int(seconds)
    parts = []
    for unit, size in UNITS:
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts[:2]) or "0 seconds"
