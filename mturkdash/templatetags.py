"""Filters every page uses, loaded as template builtins (no `{% load %}`): money with two
decimals, and durations in days, hours and minutes as MTurk's own site shows them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

CENT = Decimal("0.01")
UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


@register.filter
def money(value) -> str:
    """`$1,234.50`; negative amounts read `-$0.50`; nothing (None, "") reads as an em dash."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return "—"
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def duration_parts(seconds: int) -> list[tuple[int, str]]:
    """[(3, "day"), (4, "hour")] for 273,600 s: the largest units first, zero units left out."""
    parts = []
    remaining = max(int(seconds), 0)
    for name, size in UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append((count, name))
    return parts


@register.filter
def duration(value) -> str:
    """`3 days 4 hours`, `45 minutes`, `0 seconds`; None reads as an em dash."""
    if value is None or value == "":
        return "—"
    try:
        parts = duration_parts(int(value))
    except (TypeError, ValueError):
        return "—"
    if not parts:
        return "0 seconds"
    return " ".join(f"{count} {name}{'' if count == 1 else 's'}" for count, name in parts)
