"""Identifiers shaped like MTurk's."""

from __future__ import annotations

import os
import string

_ALPHABET = string.ascii_uppercase + string.digits
# 252 is the largest multiple of 36 below 256: bytes above it are dropped so every character is
# equally likely (and this is several times faster than secrets.choice per character).
_LIMIT = 252


def new_id(length: int = 30) -> str:
    """30 upper-case letters and digits: HITs, HIT types, assignments, qualification types."""
    chars: list[str] = []
    while len(chars) < length:
        chars.extend(_ALPHABET[b % 36] for b in os.urandom(length + 8) if b < _LIMIT)
    return "".join(chars[:length])


def new_worker_id() -> str:
    """A worker id matching `^A[A-Z0-9]+$`, 14 characters like real ones."""
    return "A" + new_id(13)


def new_request_id() -> str:
    """An x-amzn-RequestId value (a UUID, as AWS sends)."""
    import uuid

    return str(uuid.uuid4())
