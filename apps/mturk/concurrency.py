"""Several MTurk calls in flight from one job: the one way the dashboard runs work on threads.

A launch, a bulk review and a reconciliation each keep several calls waiting on MTurk at once,
so that the account's rate (paced by `apps.mturk.ratelimit`) is met even when each call is slow.
They all do it through `InFlight`:

- a fixed set of threads takes items from a queue and runs `work(item)` on each;
- each thread closes its database connection when it ends (Django opens one per thread, and
  threads that kept theirs would exhaust the database's connections over a day of jobs);
- `stop()` is asked before every item, so a cancelled job ends before its next call; `Watch`
  makes such a check cheap for many threads by re-reading the job at most twice a second;
- results come back to the calling thread (`done()`), which is where rows are written.

`run_each(items, work, ...)` is the common case: everything queued at once, wait for the end.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import connection

T = TypeVar("T")
R = TypeVar("R")
V = TypeVar("V")

_CLOSED = object()


@dataclass(frozen=True)
class Done(Generic[T, R]):
    """One item's outcome: its result, or the exception `work` raised."""

    item: T
    result: R | None = None
    error: BaseException | None = None


class Watch(Generic[V]):
    """A value re-read at most every `every` seconds, shared by many threads.

    `Watch(lambda: Job.objects.filter(pk=pk).values_list("status", flat=True).first())` costs
    one query per half second however many threads ask.
    """

    def __init__(self, read: Callable[[], V], *, every: float = 0.5) -> None:
        self._read = read
        self._every = every
        self._value: V | None = None
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def __call__(self) -> V:
        with self._lock:
            now = time.monotonic()
            if self._read_at is None or now - self._read_at > self._every:
                self._value = self._read()
                self._read_at = now
            return self._value  # type: ignore[return-value]


class InFlight(Generic[T, R]):
    """Runs `work(item)` for queued items on `threads` threads; outcomes are read with `done()`.

    Use it as a context manager: leaving the block waits for the threads (after `stop()` says
    so, items not yet started are left undone and are not reported).
    """

    def __init__(
        self,
        work: Callable[[T], R],
        *,
        threads: int,
        stop: Callable[[], bool] | None = None,
        name: str = "mturk",
    ) -> None:
        self._work = work
        self._stop = stop or (lambda: False)
        self._todo: queue.Queue = queue.Queue()
        self._done: queue.Queue[Done[T, R]] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True)
            for i in range(max(1, threads))
        ]
        self._started = False
        self._closed = False
        self.pending = 0

    def put(self, item: T) -> None:
        if not self._started:
            self._started = True
            for thread in self._threads:
                thread.start()
        self.pending += 1
        self._todo.put(item)

    def done(self, *, block: bool = False) -> list[Done[T, R]]:
        """The outcomes that have arrived; with `block`, wait for at least one if any is due."""
        outcomes: list[Done[T, R]] = []
        if block and self.pending:
            outcomes.append(self._done.get())
        while True:
            try:
                outcomes.append(self._done.get_nowait())
            except queue.Empty:
                break
        self.pending -= len(outcomes)
        return outcomes

    def close(self) -> None:
        """No more items: wait for the threads to finish what they took."""
        if self._closed:
            return
        self._closed = True
        if not self._started:
            return
        for _ in self._threads:
            self._todo.put(_CLOSED)
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> InFlight[T, R]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self) -> None:
        try:
            while True:
                item = self._todo.get()
                if item is _CLOSED:
                    return
                if self._stop():
                    # Drained without running, so that close() returns at once.
                    self._done.put(Done(item, error=Stopped()))
                    continue
                try:
                    self._done.put(Done(item, result=self._work(item)))
                except BaseException as exc:
                    self._done.put(Done(item, error=exc))
        finally:
            connection.close()


class Stopped(Exception):
    """The item was not run: `stop()` said so before its turn."""


def run_each(
    items: Iterable[T],
    work: Callable[[T], R],
    *,
    threads: int,
    stop: Callable[[], bool] | None = None,
    name: str = "mturk",
) -> list[Done[T, R]]:
    """Run `work` on every item with at most `threads` at a time; the outcomes, in finishing
    order. Items skipped because `stop()` said so come back with a `Stopped` error."""
    items = list(items)
    if not items:
        return []
    with InFlight(work, threads=min(threads, len(items)), stop=stop, name=name) as pool:
        for item in items:
            pool.put(item)
        outcomes: list[Done[T, R]] = []
        while pool.pending:
            outcomes.extend(pool.done(block=True))
    return outcomes
