"""Calls per operation and per customer since the last reset (in memory, per process)."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict


class CallStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.operations: Counter[str] = Counter()
            self.customers: defaultdict[str, Counter[str]] = defaultdict(Counter)
            self.errors: Counter[str] = Counter()

    def record(self, operation: str, customer: str) -> None:
        with self._lock:
            self.operations[operation] += 1
            self.customers[customer][operation] += 1

    def record_error(self, wire_type: str) -> None:
        with self._lock:
            self.errors[wire_type] += 1

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "total": sum(self.operations.values()),
                "operations": dict(self.operations),
                "customers": {key: dict(value) for key, value in self.customers.items()},
                "errors": dict(self.errors),
            }


call_stats = CallStats()
