"""The rate limiter paces every process of a machine (file) or of a fleet (Redis) together."""

from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from apps.mturk.ratelimit import FileRateLimiter, RedisRateLimiter


def _burst(args):
    directory, key, rate, calls = args
    limiter = FileRateLimiter(directory)
    stamps = []
    for _ in range(calls):
        limiter.acquire(key, rate)
        stamps.append(time.time())
    return stamps


def test_the_file_limiter_paces_several_processes_together(tmp_path):
    rate, processes, calls = 40.0, 4, 10
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        stamps = sorted(
            s
            for chunk in pool.map(_burst, [(tmp_path, "acct", rate, calls)] * processes)
            for s in chunk
        )
    total = processes * calls
    elapsed = stamps[-1] - stamps[0]
    # 40 calls at 40/s: the last one cannot go out before 39 intervals have passed.
    assert elapsed >= (total - 1) / rate * 0.95
    # and never more than `rate` calls in any one-second window
    for i, start in enumerate(stamps):
        in_window = sum(1 for s in stamps[i:] if s - start < 1.0)
        assert in_window <= rate + 1


def test_accounts_do_not_share_a_pace(tmp_path):
    limiter = FileRateLimiter(tmp_path)
    waits = [limiter.acquire("a", 1.0), limiter.acquire("b", 1.0)]
    assert waits == [0.0, 0.0]
    started = time.monotonic()
    limiter.acquire("a", 20.0)
    assert time.monotonic() - started < 1.5


def test_the_file_limiter_reserves_slots_in_order(tmp_path):
    slept = []
    clock = iter([100.0, 100.0, 100.0, 100.0])
    limiter = FileRateLimiter(tmp_path, sleep=slept.append, clock=lambda: next(clock))
    for _ in range(4):
        limiter.acquire("acct", 10.0)
    assert [round(s, 3) for s in slept] == [0.1, 0.2, 0.3]


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI runs it against Redis)"
)
def test_the_redis_limiter_paces_calls_across_clients():
    url = os.environ["REDIS_URL"]
    key = f"test-{os.getpid()}-{time.time()}"
    limiters = [RedisRateLimiter(url, prefix="mturkdash-test:") for _ in range(3)]
    started = time.monotonic()
    for i in range(30):
        limiters[i % 3].acquire(key, 50.0)
    elapsed = time.monotonic() - started
    assert elapsed >= 29 / 50.0 * 0.9


def test_redis_out_of_reach_falls_back_to_the_local_limiter(tmp_path, caplog):
    import redis

    url = "redis://127.0.0.1:1/0"  # nothing listens there
    with pytest.raises(redis.ConnectionError):
        RedisRateLimiter(url).acquire("acct", 10)
    local = FileRateLimiter(tmp_path)
    limiter = RedisRateLimiter(url, fallback=local)
    limiter.acquire("acct", 10)
    limiter.acquire("acct", 10)
    assert (tmp_path / "acct.tat").exists()  # the fallback paced both calls
    warnings = [r for r in caplog.records if "pacing on this machine only" in r.getMessage()]
    assert len(warnings) == 1  # said once, not on every call
