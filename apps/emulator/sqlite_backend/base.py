"""SQLite backend that queues writers in the process instead of in SQLite's busy handler.

With `transaction_mode = IMMEDIATE` every `transaction.atomic()` takes SQLite's write lock at
BEGIN. When it is held, SQLite's busy handler retries after sleeping 1, 2, 5, 10, ... 100 ms,
so twenty threads queueing that way spend most of their time asleep. One emulator process owns
its database file, so a process-wide lock taken just before BEGIN (and released at commit,
rollback or close) hands the write lock over as soon as it is free; the busy timeout remains
the safety net for anything else touching the file.
"""

from __future__ import annotations

import threading

from django.db.backends.sqlite3 import base

_write_lock = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_write_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        _write_lock.acquire()
        self._holds_write_lock = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_write_lock()
            raise

    def _release_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            _write_lock.release()

    def _commit(self) -> None:
        try:
            super()._commit()
        finally:
            self._release_write_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()
        finally:
            self._release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()
        finally:
            self._release_write_lock()
