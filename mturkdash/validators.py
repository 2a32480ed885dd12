"""Checks shared by forms whose text goes to MTurk and on to workers.

MTurk's texts travel as XML or end up in e-mails: control characters (other than tab and line
breaks) either make MTurk refuse the call or reach the worker as garbage, so they are refused
here with a message that says so, before anything is sent.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def no_control_characters(value: str) -> None:
    if value and CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            "Control characters (such as NUL or escape) cannot be sent to MTurk: remove them.",
            code="control_characters",
        )
