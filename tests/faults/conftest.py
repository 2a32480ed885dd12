"""Fixtures of the reliability suite: the journey, a local MTurk that can be stopped and started
again on the same port and database, and a private Redis server that can be restarted."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from apps.mturk.health import health_reset
from apps.requesters.health import requester_gateway_key
from tests.faults.journey import Journey
from tests.fixtures.emulator import REPO_ROOT, EmulatorControl, _answering_pid, make_mturk_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def journey(local_account, alice, account_mturk, emulator) -> Journey:
    health_reset(requester_gateway_key(local_account))  # ids are reused between tests
    local_account.requests_per_second = 20  # the local MTurk takes it; the tests stay short
    local_account.save(update_fields=["requests_per_second"])
    return Journey(account=local_account, user=alice, mturk=account_mturk, emulator=emulator)


@dataclass
class RestartableEmulator:
    """A local MTurk process of the test's own: `stop()` takes it down (connections refused),
    `start()` brings it back on the same port with the same database (nothing is lost)."""

    directory: Path
    port: int
    database: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def control(self) -> EmulatorControl:
        return EmulatorControl(self.url)

    def start(self, timeout: float = 60.0) -> None:
        log = (self.directory / "emulator.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(REPO_ROOT / "manage.py"),
                "emulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--database",
                str(self.database),
            ],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    "the emulator exited:\n" + (self.directory / "emulator.log").read_text()[-3000:]
                )
            try:
                if _answering_pid(self.url) == self.process.pid:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator did not answer")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def restartable_emulator(tmp_path) -> Iterator[RestartableEmulator]:
    server = RestartableEmulator(tmp_path, free_port(), tmp_path / "emulator.sqlite3")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_emulator_account(account, alice, restartable_emulator):
    """The account on the test's own local MTurk; a boto3 client of the same requester."""
    account.endpoint_url = restartable_emulator.url
    account.save(update_fields=["endpoint_url"])
    health_reset(requester_gateway_key(account))
    return account, make_mturk_client(restartable_emulator.url, access_key_id=account.access_key_id)


@dataclass
class PrivateRedis:
    """A redis-server of the test's own, on a free port, that keeps nothing on disk."""

    binary: str
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> None:
        import redis

        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if client.ping():
                    return
            except redis.exceptions.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGKILL: whatever it held is gone, as when the server dies."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("REQUIRE_REDIS_FAULTS") == "1":
            pytest.fail("REQUIRE_REDIS_FAULTS=1 but no redis-server binary is on the PATH")
        pytest.skip("needs a redis-server binary (CI sets REQUIRE_REDIS_FAULTS=1 and has one)")
    server = PrivateRedis(binary, free_port())
    server.start()
    yield server
    server.stop()
