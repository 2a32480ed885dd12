"""Emulator time: real time plus an offset that the control API moves.

The offset lives in the database (`ClockState`, pk=1) so it survives a restart, and in memory for
speed: one emulator process owns its database, so the in-memory copy is authoritative once loaded.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..models import ClockState

_lock = threading.Lock()
_offset: float | None = None


def _load() -> float:
    global _offset
    with _lock:
        if _offset is None:
            state, _ = ClockState.objects.get_or_create(pk=1, defaults={"offset_seconds": 0.0})
            _offset = state.offset_seconds
        return _offset


def offset_seconds() -> float:
    return _offset if _offset is not None else _load()


def now() -> datetime:
    """The current emulator time (timezone-aware UTC)."""
    return timezone.now() + timedelta(seconds=offset_seconds())


def clock_advance(*, seconds: float) -> datetime:
    """Move emulator time forward by `seconds` (never backwards) and persist the new offset."""
    global _offset
    if seconds < 0:
        raise ValueError("the clock only moves forward")
    # Transaction first, then the lock: the same order as a first `now()` inside a transaction.
    with transaction.atomic(), _lock:
        state, _ = ClockState.objects.get_or_create(pk=1, defaults={"offset_seconds": 0.0})
        state.offset_seconds += seconds
        state.save(update_fields=["offset_seconds"])
        _offset = state.offset_seconds
    return now()


def clock_reset() -> None:
    global _offset
    with _lock:
        ClockState.objects.update_or_create(pk=1, defaults={"offset_seconds": 0.0})
        _offset = 0.0


def iso(moment: datetime) -> str:
    """`2026-01-01T12:00:00.123456Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
