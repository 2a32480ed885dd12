"""Fault injection for the requester API (set through `/_emulator/faults`).

Settings are held in memory: they belong to the running process and reset with it.
- `throttle_rps`: a token bucket; requests above the rate get ThrottlingException.
- `error_rate`: probability of a ServiceFault before the operation runs (nothing happens).
- `latency_ms`: delay added before the operation.
- `lost_response_rate`: probability that the operation IS performed but the client gets a
  ServiceFault instead of the answer (what UniqueRequestToken exists for).
- `operations`: limit all of the above to these operation names.
- `seed`: makes the random draws repeatable.
- `duplicate_delivery_rate`: probability that a notification message is sent twice (same
  EventDocId, two queue messages); `reorder`: probability that a message is held back so later
  ones overtake it (`true` means 0.5). Both act on notification delivery
  (`apps.emulator.delivery.outbox`).
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from . import errors

KEYS = {
    "throttle_rps",
    "error_rate",
    "latency_ms",
    "lost_response_rate",
    "operations",
    "seed",
    "duplicate_delivery_rate",
    "reorder",
}


class Throttled(Exception):
    """Answered as HTTP 400 `ThrottlingException` "Rate exceeded"."""


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.configure({})

    def configure(self, settings: dict[str, Any]) -> dict[str, Any]:
        unknown = set(settings) - KEYS
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        clean: dict[str, Any] = {}
        if settings.get("reorder") is True:
            settings = {**settings, "reorder": 0.5}
        elif settings.get("reorder") is False:
            settings = {**settings, "reorder": None}
        for key in ("error_rate", "lost_response_rate", "duplicate_delivery_rate", "reorder"):
            if settings.get(key) is not None:
                value = float(settings[key])
                if not 0 <= value <= 1:
                    raise ValueError(f"{key} must be between 0 and 1")
                clean[key] = value
        for key in ("throttle_rps", "latency_ms"):
            if settings.get(key) is not None:
                value = float(settings[key])
                if value < 0:
                    raise ValueError(f"{key} must not be negative")
                clean[key] = value
        if settings.get("operations") is not None:
            operations = settings["operations"]
            if not isinstance(operations, list) or not all(isinstance(o, str) for o in operations):
                raise ValueError("operations must be a list of operation names")
            clean["operations"] = operations
        if settings.get("seed") is not None:
            clean["seed"] = settings["seed"]
        with self._lock:
            self.settings = clean
            self._random = random.Random(clean.get("seed"))
            rate = clean.get("throttle_rps")
            self._bucket = max(1.0, rate) if rate else 0.0
            self._bucket_time = time.monotonic()
        return dict(clean)

    def _applies(self, operation: str) -> bool:
        operations = self.settings.get("operations")
        return operations is None or operation in operations

    def draw(self, probability: float | None) -> bool:
        """True with `probability`, from the seeded generator (notification delivery faults)."""
        return self._draw(probability)

    def _draw(self, probability: float | None) -> bool:
        if not probability:
            return False
        with self._lock:
            return self._random.random() < probability

    def before(self, operation: str) -> None:
        """Run before the operation: throttling, latency, injected errors."""
        if not self.settings or not self._applies(operation):
            return
        rate = self.settings.get("throttle_rps")
        if rate is not None:
            with self._lock:
                moment = time.monotonic()
                capacity = max(1.0, rate)
                self._bucket = min(capacity, self._bucket + (moment - self._bucket_time) * rate)
                self._bucket_time = moment
                if self._bucket < 1.0:
                    raise Throttled()
                self._bucket -= 1.0
        latency = self.settings.get("latency_ms")
        if latency:
            time.sleep(latency / 1000.0)
        if self._draw(self.settings.get("error_rate")):
            raise errors.ServiceFault(
                errors.SERVICE_FAULT, "Injected fault: the service could not process the request."
            )

    def lose_response(self, operation: str) -> bool:
        """After the operation ran: should its answer be lost?"""
        if not self.settings or not self._applies(operation):
            return False
        return self._draw(self.settings.get("lost_response_rate"))


injector = FaultInjector()
