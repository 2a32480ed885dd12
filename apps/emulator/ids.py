"""Identifiers shaped like MTurk's."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_uppercase + string.digits


def new_id(length: int = 30) -> str:
    """30 upper-case letters and digits: HITs, HIT types, assignments, qualification types."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def new_worker_id() -> str:
    """A worker id matching `^A[A-Z0-9]+$`, 14 characters like real ones."""
    return "A" + new_id(13)


def new_request_id() -> str:
    """An x-amzn-RequestId value (a UUID, as AWS sends)."""
    import uuid

    return str(uuid.uuid4())
