"""The shapes of MTurk's identifiers, checked before any id typed by a person reaches a call."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

WORKER_ID = re.compile(r"^A[A-Z0-9]{1,63}$")


def worker_id_clean(value: str) -> str:
    worker_id = (value or "").strip().upper()
    if not WORKER_ID.match(worker_id):
        raise ValidationError(f"{value!r} is not a worker id (A followed by letters and digits).")
    return worker_id
