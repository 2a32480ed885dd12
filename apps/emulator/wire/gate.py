"""How many requests do their work at once inside the one emulator process.

The emulator is CPU-bound and the GIL lets one thread run Python at a time; with sixteen server
threads all working, every SQLite call hands the GIL to another thread and each connection's
page cache goes cold, which costs more CPU per request than the work itself. Waitress still
accepts and reads requests on all its threads (and injected latency sleeps outside the gate);
only the work is limited to `EMULATOR_ACTIVE_REQUESTS` threads at a time.

Never wait for another request while holding the gate: code inside it only waits for database
locks, whose holders are either inside the gate themselves or the background ticker.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

_gate = threading.BoundedSemaphore(max(1, settings.EMULATOR_ACTIVE_REQUESTS))


@contextmanager
def working() -> Iterator[None]:
    with _gate:
        yield
