"""Whether MTurk is answering, per requester account, as the gateway last saw it.

The gateway records a failure when a call still fails after botocore's retries because MTurk
could not be reached, did not answer, failed internally or throttled (the errors a later retry
may cure), and clears the record on the next call that succeeds. The dashboard shows a banner
while a record exists.

The record must be seen by every process (the Celery worker that hit the outage and the web
process that draws the page), so, like the rate limiter, it lives in Redis when REDIS_URL is set
and in a small file under VAR_DIR otherwise. Reads cost one Redis command or one failed `open`,
never a database query. Keys carry the database's name, so that two dashboards (two test
databases) on one machine keep apart.

Nothing here may break a call to MTurk: a store that cannot be reached is logged and ignored.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from django.conf import settings

from apps.mturk.errors import MTurkError

logger = logging.getLogger(__name__)

_ERROR_LENGTH = 300


@dataclass(frozen=True)
class Health:
    """MTurk has not been answering this account since `since`; `failures` calls failed."""

    since: datetime
    failures: int
    last_failure_at: datetime
    last_error: str


def is_outage(exc: MTurkError) -> bool:
    """Errors that say MTurk is unwell, not that our request was wrong."""
    return exc.retryable or exc.outcome_unknown


class HealthStore(Protocol):
    def failure(self, key: str, error: str, now: datetime) -> None: ...

    def success(self, key: str) -> None: ...

    def get(self, key: str) -> Health | None: ...


def _from_fields(fields: dict) -> Health | None:
    try:
        return Health(
            since=datetime.fromisoformat(fields["since"]),
            failures=int(fields["failures"]),
            last_failure_at=datetime.fromisoformat(fields["last_failure_at"]),
            last_error=str(fields.get("last_error", "")),
        )
    except (KeyError, TypeError, ValueError):
        return None


class FileHealthStore:
    """One JSON file per account, changed under an exclusive `flock` (processes of one machine)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def failure(self, key: str, error: str, now: datetime) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path(key), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 65536, 0)
            try:
                fields = json.loads(raw) if raw.strip() else {}
            except ValueError:
                fields = {}
            fields = {
                "since": fields.get("since") or now.isoformat(),
                "failures": int(fields.get("failures", 0)) + 1,
                "last_failure_at": now.isoformat(),
                "last_error": error,
            }
            data = json.dumps(fields).encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def success(self, key: str) -> None:
        # The common case (all is well) costs one failed unlink.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(key))

    def get(self, key: str) -> Health | None:
        try:
            with open(self._path(key), "rb") as handle:
                fcntl.flock(handle, fcntl.LOCK_SH)
                raw = handle.read()
        except FileNotFoundError:
            return None
        try:
            return _from_fields(json.loads(raw))
        except ValueError:
            return None


class RedisHealthStore:
    """One Redis hash per account (processes on many machines)."""

    def __init__(self, url: str, *, prefix: str = "mturkdash:mturk-health:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix

    def failure(self, key: str, error: str, now: datetime) -> None:
        name = self.prefix + key
        pipe = self.client.pipeline()
        pipe.hsetnx(name, "since", now.isoformat())
        pipe.hincrby(name, "failures", 1)
        pipe.hset(name, mapping={"last_failure_at": now.isoformat(), "last_error": error})
        pipe.execute()

    def success(self, key: str) -> None:
        self.client.delete(self.prefix + key)

    def get(self, key: str) -> Health | None:
        fields = self.client.hgetall(self.prefix + key)
        if not fields:
            return None
        return _from_fields({k.decode(): v.decode() for k, v in fields.items()})


_stores: dict[str, HealthStore] = {}


def health_store() -> HealthStore:
    """The store for the current settings: Redis when REDIS_URL is set, files otherwise."""
    where = settings.REDIS_URL or str(Path(settings.VAR_DIR) / "mturk-health")
    store = _stores.get(where)
    if store is None:
        store = _stores[where] = (
            RedisHealthStore(settings.REDIS_URL)
            if settings.REDIS_URL
            else FileHealthStore(Path(where))
        )
    return store


def _scoped(key: str) -> str:
    database = settings.DATABASES["default"]
    return _scope(
        key, database["ENGINE"], str(database.get("HOST")), str(database.get("NAME") or "")
    )


@functools.lru_cache(maxsize=256)
def _scope(key: str, engine: str, host: str, name: str) -> str:
    # Cached: every call to MTurk passes here, and realpath costs a system call per path part.
    if engine.endswith("sqlite3") and name and not name.startswith(":"):
        name = os.path.realpath(name)
    scope = hashlib.sha256(f"{engine}|{host}|{name}".encode())
    return f"{key}-{scope.hexdigest()[:12]}"


_store_warned_at = 0.0


def _store_unavailable(what: str, key: str, exc: Exception) -> None:
    """Said once a minute, not on every call to MTurk (Redis may be away for a while)."""
    global _store_warned_at
    if time.monotonic() - _store_warned_at > 60:
        _store_warned_at = time.monotonic()
        logger.warning("could not %s MTurk's health for %s: %s", what, key, exc)


def health_failure(key: str, exc: MTurkError) -> None:
    """Record that a call for account `key` failed although it was retried."""
    _cleared_at.pop(key, None)  # the next success clears at once
    try:
        health_store().failure(_scoped(key), str(exc)[:_ERROR_LENGTH], datetime.now(UTC))
    except Exception as store_error:  # a courtesy to the page: the call's own error matters more
        _store_unavailable("record", key, store_error)


# When this process last cleared each account's record: a busy process (a sync makes a hundred
# calls a second) clears at most once a second, unless it recorded a failure itself since.
_cleared_at: dict[str, float] = {}
_CLEAR_EVERY = 1.0


def health_success(key: str) -> None:
    """A call for account `key` succeeded: MTurk answers again."""
    now = time.monotonic()
    if now - _cleared_at.get(key, -_CLEAR_EVERY) < _CLEAR_EVERY:
        return
    try:
        health_store().success(_scoped(key))
        _cleared_at[key] = now
    except Exception as store_error:
        _store_unavailable("clear", key, store_error)


def health_reset(key: str) -> None:
    """Forget account `key`'s record now, whoever wrote it and however recently this process
    cleared it (tests start each case from a clean record)."""
    _cleared_at.pop(key, None)
    health_store().success(_scoped(key))


def health_get(key: str) -> Health | None:
    """The outage record of account `key`, or None while MTurk answers."""
    try:
        return health_store().get(_scoped(key))
    except Exception as store_error:
        _store_unavailable("read", key, store_error)
        return None
