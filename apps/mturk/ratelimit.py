"""A client-side rate limit per requester account, shared by every process that calls MTurk.

MTurk publishes no rate, but throttles bursts; many Celery workers launching one batch must stay
under the account's requests-per-second setting together. Both limiters below implement the
generic cell rate algorithm: each call reserves the next free slot (`tat`, the theoretical arrival
time) atomically, then sleeps until its slot comes. Reserving first keeps the pacing exact under
contention and needs no retry loop.

- `RedisRateLimiter`: the slot lives in Redis (one key per account), updated by a Lua script,
  so processes on many machines share it. Used whenever REDIS_URL is set.
- `FileRateLimiter`: the slot lives in a small file under var/, updated under an exclusive
  `flock`, so processes of one machine share it. Used by the embedded default.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path
from typing import Protocol

logger = logging.getLogger(__name__)


class RateLimiter(Protocol):
    def acquire(self, key: str, rate: float) -> float:
        """Block until a call for `key` may go out at `rate` calls per second; return the wait."""


def _reserve(tat: float, now: float, interval: float, burst: int) -> tuple[float, float]:
    """Return (new tat, seconds to wait) for one call."""
    start = max(tat, now)
    new_tat = start + interval
    wait = max(0.0, new_tat - burst * interval - now)
    return new_tat, wait


class FileRateLimiter:
    def __init__(
        self, directory: Path, *, burst: int = 1, sleep=time.sleep, clock=time.time
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.burst = burst
        self._sleep = sleep
        self._clock = clock

    def acquire(self, key: str, rate: float) -> float:
        if rate <= 0:
            return 0.0
        path = self.directory / f"{key}.tat"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 64, 0).decode().strip()
            tat = float(raw) if raw else 0.0
            new_tat, wait = _reserve(tat, self._clock(), 1.0 / rate, self.burst)
            data = f"{new_tat:.6f}".encode().ljust(32)
            os.pwrite(fd, data, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        if wait:
            self._sleep(wait)
        return wait


_RESERVE_SCRIPT = """
local now = redis.call('TIME')
local now_s = tonumber(now[1]) + tonumber(now[2]) / 1000000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now_s then tat = now_s end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.6f', new_tat), 'EX', math.ceil(interval * 4) + 60)
local wait = new_tat - burst * interval - now_s
if wait < 0 then wait = 0 end
return string.format('%.6f', wait)
"""


class RedisRateLimiter:
    """With a `fallback`, a call is paced by it while Redis cannot be reached (restarting): a
    call to MTurk must not fail for the limiter's sake."""

    def __init__(
        self,
        url: str,
        *,
        burst: int = 1,
        prefix: str = "mturkdash:ratelimit:",
        sleep=time.sleep,
        fallback: RateLimiter | None = None,
    ) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.burst = burst
        self.prefix = prefix
        self._script = self.client.register_script(_RESERVE_SCRIPT)
        self._sleep = sleep
        self._fallback = fallback
        self._warned_at = -60.0

    def acquire(self, key: str, rate: float) -> float:
        import redis

        if rate <= 0:
            return 0.0
        try:
            wait = float(self._script(keys=[self.prefix + key], args=[1.0 / rate, self.burst]))
        except redis.RedisError as exc:
            if self._fallback is None:
                raise
            if time.monotonic() - self._warned_at > 60:  # once a minute, not on every call
                self._warned_at = time.monotonic()
                logger.warning("rate limiter unavailable (%s); pacing on this machine only", exc)
            return self._fallback.acquire(key, rate)
        if wait:
            self._sleep(wait)
        return wait


_default: RateLimiter | None = None


def default_limiter() -> RateLimiter:
    """The process's limiter: Redis when REDIS_URL is set (falling back to the file limiter
    while Redis cannot be reached, so this machine's processes still pace themselves
    together), the file limiter otherwise."""
    global _default
    if _default is None:
        from django.conf import settings

        local = FileRateLimiter(settings.MTURK_RATE_LIMIT_DIR)
        _default = (
            RedisRateLimiter(settings.REDIS_URL, fallback=local) if settings.REDIS_URL else local
        )
    return _default
