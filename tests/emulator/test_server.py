"""The process: its own database, state across restarts, reset, 20 concurrent clients."""

from __future__ import annotations

import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.emulator import make_mturk_client, start_emulator

from .conftest import create_hit, new_worker_id


def test_state_and_clock_survive_a_restart(tmp_path):
    database = tmp_path / "persist.sqlite3"
    server = start_emulator(tmp_path / "one", database=str(database))
    try:
        client = make_mturk_client(server.url, access_key_id="AKIARESTART")
        hit = create_hit(client)
        moved = server.control.advance(7200)
    finally:
        server.stop()
    again = start_emulator(tmp_path / "two", database=f"sqlite:///{database}")
    try:
        client = make_mturk_client(again.url, access_key_id="AKIARESTART")
        assert client.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Reviewable"
        assert again.control.now() >= moved
    finally:
        again.stop()


def test_reset_wipes_everything(tmp_path):
    server = start_emulator(tmp_path)
    try:
        client = make_mturk_client(server.url)
        hit = create_hit(client)
        server.control.faults(latency_ms=1)
        server.control.advance(86400)
        server.control.reset()
        assert client.list_hits()["NumResults"] == 0
        with pytest.raises(ClientError):
            client.get_hit(HITId=hit["HITId"])
        assert server.control.get_faults() == {}
        assert server.control.stats()["operations"] == {"ListHITs": 1, "GetHIT": 1}
        locale = client.get_qualification_type(QualificationTypeId="00000000000000000071")
        assert locale["QualificationType"]["Name"] == "Worker_Locale"
    finally:
        server.stop()


def test_twenty_concurrent_clients_never_see_a_server_error(emulator_server, emulator):
    """Every client creates, lists, works and approves at once; no 5xx, no lock errors."""
    failures: list[str] = []
    lock = threading.Lock()

    def one_client(index: int) -> None:
        client = make_mturk_client(emulator_server.url, retries={"total_max_attempts": 1})
        try:
            for _ in range(3):
                hit = create_hit(client, UniqueRequestToken=uuid.uuid4().hex)
                client.list_hits(MaxResults=100)
                assignment = emulator.accept(new_worker_id(), hit["HITId"])
                emulator.submit(assignment, {"n": str(index)})
                client.approve_assignment(AssignmentId=assignment)
                client.send_bonus(
                    WorkerId=client.get_assignment(AssignmentId=assignment)["Assignment"][
                        "WorkerId"
                    ],
                    BonusAmount="0.10",
                    AssignmentId=assignment,
                    Reason="thanks",
                )
            assert client.get_account_balance()["AvailableBalance"] == "9997.84"
        except Exception as exc:  # collect every failure, then report them together
            with lock:
                failures.append(f"client {index}: {exc!r}")

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(one_client, range(20)))
    assert failures == []
    log = emulator_server.log_path.read_text()
    assert "database is locked" not in log
    assert "Traceback" not in log


def _postgres_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _postgres_available(), reason="no PostgreSQL on 127.0.0.1:5432")
def test_it_runs_on_postgresql(tmp_path):
    import psycopg

    name = f"emulator_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    try:
        server = start_emulator(tmp_path / "pg1", database=url)
        try:
            client = make_mturk_client(server.url, access_key_id="AKIAPOSTGRES")
            hit = create_hit(client)
            assignment = server.control.accept(new_worker_id(), hit["HITId"])
            server.control.submit(assignment, {"a": "b"})
            client.approve_assignment(AssignmentId=assignment)
        finally:
            server.stop()
        server = start_emulator(tmp_path / "pg2", database=url)
        try:
            client = make_mturk_client(server.url, access_key_id="AKIAPOSTGRES")
            assert client.get_account_balance()["AvailableBalance"] == "9999.40"
            assert client.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Reviewable"
            # ListHITs reads PostgreSQL's own types on a plain cursor: same answer as GetHIT.
            [listed] = client.list_hits()["HITs"]
            got = client.get_hit(HITId=hit["HITId"])["HIT"]
            assert listed == got
            [listed] = client.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
            assert listed == client.get_assignment(AssignmentId=assignment)["Assignment"]
        finally:
            server.stop()
    finally:
        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
        ) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_ticker_runs_transitions_as_real_time_passes(tmp_path):
    """Without any request, a HIT that expires is processed by the background ticker (read
    straight from the database file, so no request can trigger the lazy check)."""
    import sqlite3
    import time

    database = tmp_path / "ticker.sqlite3"
    server = start_emulator(tmp_path, database=str(database), env={"EMULATOR_TICK_SECONDS": "0.1"})
    try:
        client = make_mturk_client(server.url)
        hit = create_hit(client, LifetimeInSeconds=30)
        server.control.advance(29.5)

        def expired_events() -> int:
            with sqlite3.connect(database) as db:
                return db.execute(
                    "SELECT COUNT(*) FROM emulator_event WHERE hit_id = ? AND event_type = ?",
                    (hit["HITId"], "HITExpired"),
                ).fetchone()[0]

        assert expired_events() == 0
        deadline = time.monotonic() + 10
        while expired_events() == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert expired_events() == 1
    finally:
        server.stop()
