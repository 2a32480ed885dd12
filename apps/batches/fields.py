"""A duration entered as MTurk's own site asks for it: a number and a unit (minutes, hours,
days), kept in seconds as the API wants them.

A plain number of seconds posted under the field's own name is still understood, so scripts and
forms written before the unit existed keep working.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from mturkdash.templatetags import duration

UNITS = [("days", "days"), ("hours", "hours"), ("minutes", "minutes"), ("seconds", "seconds")]
UNIT_SECONDS = {"days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}


def duration_split(seconds: int | None) -> tuple[int | None, str]:
    """(3, "days") for 259,200: the largest unit the duration is a whole number of."""
    if seconds is None:
        return None, "hours"
    for unit, size in UNIT_SECONDS.items():
        if seconds and seconds % size == 0:
            return seconds // size, unit
    return seconds, "seconds"


class DurationWidget(forms.MultiWidget):
    def __init__(self, attrs=None):
        widgets = {
            "": forms.NumberInput(attrs={"min": "0", "step": "1", "class": "duration-amount"}),
            "unit": forms.Select(choices=UNITS, attrs={"class": "duration-unit"}),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if value in (None, ""):
            return [None, "hours"]
        try:
            return list(duration_split(int(value)))
        except (TypeError, ValueError):
            return [value, "seconds"]

    def value_from_datadict(self, data, files, name):
        amount, unit = super().value_from_datadict(data, files, name)
        if f"{name}_unit" not in data and amount not in (None, ""):
            unit = "seconds"  # a plain number of seconds under the field's own name
        return [amount, unit]

    def render(self, name, value, attrs=None, renderer=None):
        # The number and its unit on one line (the page's row layout).
        inner = super().render(name, value, attrs, renderer)
        return format_html('<div class="row-form duration-input">{}</div>', inner)

    def id_for_label(self, id_):
        return id_

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # The label points at the number; the unit's select has an id of its own.
        amount, unit = context["widget"]["subwidgets"]
        if attrs and attrs.get("id"):
            amount["attrs"]["id"] = attrs["id"]
            unit["attrs"]["id"] = f"{attrs['id']}_unit"
        unit["attrs"]["aria-label"] = "Unit"
        return context


class DurationField(forms.MultiValueField):
    """Seconds, entered as a number and a unit; `low` and `high` bound it, in seconds."""

    widget = DurationWidget

    def __init__(self, *, low: int, high: int, **kwargs):
        self.low, self.high = low, high
        fields = (
            forms.IntegerField(min_value=0, error_messages={"invalid": "Enter a whole number."}),
            forms.ChoiceField(choices=UNITS),
        )
        kwargs.setdefault("help_text", f"From {duration(low)} to {duration(high)}.")
        super().__init__(fields=fields, require_all_fields=True, **kwargs)

    def compress(self, data_list):
        if not data_list or data_list[0] in (None, ""):
            return None
        amount, unit = data_list
        seconds = int(amount) * UNIT_SECONDS[unit]
        if not self.low <= seconds <= self.high:
            raise ValidationError(
                f"{amount} {unit if amount != 1 else unit.rstrip('s')} is out of range: between "
                f"{duration(self.low)} and {duration(self.high)}."
            )
        return seconds
