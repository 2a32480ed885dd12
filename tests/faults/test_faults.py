"""The reliability suite: the back half of the journey (launch, the crowd works, answers mirrored,
review, bulk bonus) under one fault at a time, then the same invariants (`assert_invariants`):
one HIT per row, one payment per bonus row, every submission mirrored, no lost audit entry, the
balance explained by the audit log."""

from __future__ import annotations

import json
import random
import re
import time

import pytest

from apps.batches.models import BatchStatus, RowStatus
from apps.hits.models import SyncRun
from apps.notifications.models import NotificationEvent
from apps.notifications.services import notifications_poll
from apps.requesters.health import requester_mturk_health
from apps.requesters.models import Requester
from tests.faults.journey import Journey, assert_invariants
from tests.fixtures.celery import start_celery_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _text(client, url: str) -> str:
    """A page as a person reads it: tags dropped, spaces collapsed."""
    html = client.get(url).content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_lost_responses_and_a_throttle_through_launch_review_and_bonus(
    journey, emulator, celery_worker_process, login
):
    journey.account.requests_per_second = 10
    journey.account.save(update_fields=["requests_per_second"])
    emulator.faults(lost_response_rate=0.05, throttle_rps=10, seed=11)

    journey.launch(30)
    journey.wait_launched()
    page = _text(login(journey.user), f"/batches/{journey.batch.pk}/")
    assert "30 created · 0 failed · 0 remaining of 30" in page
    assert journey.work() == 30
    journey.sync()
    assert journey.submitted_mirrored() == 30
    journey.review()
    journey.bonus_batch_make()
    journey.bonus_pay_in_worker()
    journey.wait_bonus_done()

    stats = emulator.stats()["customers"][journey.account.access_key_id]
    assert stats.get("CreateHITWithHITType", 0) >= 30
    assert_invariants(journey)


def test_a_worker_killed_in_the_middle_of_a_launch(journey, emulator, celery_worker_process, login):
    emulator.faults(latency_ms=150, operations=["CreateHITWithHITType"])
    journey.launch(40)
    wait_for(lambda: journey.rows_created() >= 5, timeout=30, message="the first HITs")

    celery_worker_process.kill()

    assert journey.batch_status() == BatchStatus.LAUNCHING
    assert journey.rows_created() < 40
    client = login(journey.user)
    page = _text(client, f"/batches/{journey.batch.pk}/")
    assert "Launching" in page and "Resume (after a worker died)" in page
    second = start_celery_worker()
    try:
        journey.wait_launched()
        assert "40 created · 0 failed" in _text(client, f"/batches/{journey.batch.pk}/")
        emulator.clear_faults()
        journey.work()
        journey.sync()
        journey.review()
        journey.bonus_batch_make(10)
        journey.bonus_pay_in_worker()
        journey.wait_bonus_done()
    finally:
        second.stop()
    assert_invariants(journey)


def test_a_worker_killed_in_the_middle_of_a_bulk_bonus(
    journey, emulator, celery_worker_process, login
):
    journey.launch(30)
    journey.wait_launched()
    journey.work()
    journey.sync()
    journey.review()
    journey.bonus_batch_make()
    emulator.faults(latency_ms=300, operations=["SendBonus"])

    journey.bonus_pay_in_worker()
    wait_for(lambda: journey.bonuses_sent() >= 4, timeout=30, message="the first bonuses")
    celery_worker_process.kill()

    assert journey.bonuses_sent() < len(journey.bonus_batch.rows)
    client = login(journey.user)
    page_url = f"/review/bonuses/{journey.bonus_batch.pk}/"
    total = len(journey.bonus_batch.rows)
    assert re.search(rf"\b\d+ of {total} paid · paying", _text(client, page_url))
    second = start_celery_worker()
    try:
        journey.wait_bonus_done()
    finally:
        second.stop()
    assert f"{total} of {total} paid · done" in _text(client, page_url)
    assert_invariants(journey)


BANNER = re.compile(r"MTurk is not answering since \d\d:\d\d; (\d+) calls? failed; retrying\.")
OUTAGE_SECONDS = 30


def test_the_local_mturk_down_for_30_seconds(
    own_emulator_account, restartable_emulator, alice, login, transactional_db
):
    account, mturk = own_emulator_account
    account.requests_per_second = 4
    account.save(update_fields=["requests_per_second"])
    journey = Journey(
        account=account, user=alice, mturk=mturk, emulator=restartable_emulator.control
    )
    client = login(alice)
    # botocore tries twice per call, so that a row's own backoff (shown on the page) does the rest.
    worker = start_celery_worker(extra_env={"MTURK_MAX_ATTEMPTS": "2"})
    try:
        journey.launch(20)
        wait_for(lambda: journey.rows_created() >= 4, timeout=30, message="the first HITs")
        assert not BANNER.search(client.get("/").content.decode())

        restartable_emulator.stop()
        down_at = time.monotonic()

        wait_for(
            lambda: requester_mturk_health(account) is not None,
            timeout=20,
            message="the gateway to record the outage",
        )
        progress_url = f"/batches/{journey.batch.pk}/progress/"
        seen_retrying = False
        while time.monotonic() - down_at < OUTAGE_SECONDS:
            for url in ("/", "/batches/", f"/batches/{journey.batch.pk}/", "/review/"):
                match = BANNER.search(client.get(url).content.decode())
                assert match, f"no degraded-status banner on {url}"
                assert int(match.group(1)) >= 1
            fragment = client.get(progress_url, HTTP_HX_REQUEST="true").content.decode()
            seen_retrying = seen_retrying or bool(re.search(r"\d+ retrying", fragment))
            # Nothing fails and nothing is lost while MTurk is away: rows wait or retry.
            assert not journey.batch.rows.filter(status=RowStatus.FAILED).exists()
            assert journey.batch_status() == BatchStatus.LAUNCHING
            time.sleep(1)
        assert seen_retrying, "the batch page never showed rows retrying"
        created_during = journey.rows_created()
        assert created_during < 20

        restartable_emulator.start()
        journey.wait_launched(timeout=90)  # the rows back off while MTurk was away
        wait_for(
            lambda: requester_mturk_health(account) is None,
            timeout=10,
            message="the banner to clear after a success",
        )
        assert not BANNER.search(client.get("/").content.decode())
        assert "retrying" not in client.get(progress_url, HTTP_HX_REQUEST="true").content.decode()

        Requester.objects.filter(pk=account.pk).update(requests_per_second=20)
        journey.work()
        journey.sync()
        journey.review()
        journey.bonus_batch_make(8)
        journey.bonus_pay_in_worker()
        journey.wait_bonus_done()
    finally:
        worker.stop()
    assert_invariants(journey)


def _drain(sqs, queue_url: str) -> list[str]:
    """Take every message off the queue (the poller never sees these originals)."""
    bodies: list[str] = []
    empty = 0
    while empty < 2:
        got = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        empty = 0 if got else empty + 1
        if not got:
            time.sleep(0.5)
        for message in got:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def _deliver_twice_out_of_order(sqs, queue_url: str, bodies: list[str], seed: int) -> None:
    copies = bodies + bodies
    random.Random(seed).shuffle(copies)
    for body in copies:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)


def _poll_until_drained(account, done, timeout: float = 40) -> int:
    """Poll as the beat task does until `done()` and nothing is left; returns duplicates seen."""
    duplicates = 0
    deadline = time.monotonic() + timeout
    while True:
        # Short polls: the local SQS holds a long poll open until it has ten messages.
        result = notifications_poll(requester=account, wait_seconds=0)
        duplicates += result.duplicates
        idle = (
            result.received == 0
            and not NotificationEvent.objects.filter(
                requester=account, processed_at__isnull=True
            ).exists()
        )
        if idle and done():
            return duplicates
        if time.monotonic() > deadline:
            pytest.fail("the notifications were not all processed")
        if not result.received:
            time.sleep(0.3)


def test_duplicate_and_reordered_notifications(
    journey, emulator, sqs_server, sqs_queue, celery_worker_process
):
    account = journey.account
    account.sqs_queue_url = sqs_queue
    account.save(update_fields=["sqs_queue_url"])
    sqs = sqs_server.client()
    journey.launch(12)
    journey.wait_launched()
    # MTurk itself delivers some messages twice and holds some back.
    emulator.faults(duplicate_delivery_rate=0.3, reorder=0.3, seed=7)

    journey.work()
    emulator.flush_notifications()
    emulator.flush_notifications()  # what the reordering held back
    worked = _drain(sqs, sqs_queue)
    assert any("AssignmentSubmitted" in body for body in worked)
    _deliver_twice_out_of_order(sqs, sqs_queue, worked, seed=1)
    duplicates = _poll_until_drained(account, lambda: journey.submitted_mirrored() == 12)
    # Mirrored by notifications alone: no reconciliation ran.
    assert not SyncRun.objects.filter(requester=account).exists()
    assert duplicates >= len({json.loads(body)["EventDocId"] for body in worked})

    journey.review()
    emulator.flush_notifications()
    emulator.flush_notifications()
    reviewed = _drain(sqs, sqs_queue)
    assert any("AssignmentApproved" in body for body in reviewed)
    # The decisions twice and shuffled, then the old submissions once more, after them.
    _deliver_twice_out_of_order(sqs, sqs_queue, reviewed, seed=2)
    for body in worked:
        sqs.send_message(QueueUrl=sqs_queue, MessageBody=body)
    _poll_until_drained(account, lambda: True)

    journey.bonus_batch_make(5)
    journey.bonus_pay_in_worker()
    journey.wait_bonus_done()
    assert_invariants(journey)
    # Each event of each document stored once, processed once, none failed.
    documents = [json.loads(body) for body in worked + reviewed]
    expected = {(d["EventDocId"], i) for d in documents for i in range(len(d["Events"]))}
    stored = list(
        NotificationEvent.objects.filter(requester=account).values_list(
            "event_doc_id", "position", "processed_at", "attempts"
        )
    )
    assert {(doc, position) for doc, position, _, _ in stored} >= expected
    assert len(stored) == len({(doc, position) for doc, position, _, _ in stored})
    assert all(processed is not None and attempts == 0 for _, _, processed, attempts in stored)


def _send_through(monkeypatch, broker_url: str) -> None:
    """Tasks the test dispatches go to `broker_url` (the worker's private Redis), not to the
    broker of the test process's settings."""
    from apps.batches import tasks as batch_tasks
    from apps.review import tasks as review_tasks
    from mturkdash.celery import app

    def via_broker(task):
        def delay(*args):
            with app.connection_for_write(broker_url) as connection:
                task.apply_async(args=args, connection=connection)

        return delay

    for task in (batch_tasks.batch_launch_task, review_tasks.bonus_batch_pay_task):
        monkeypatch.setattr(task, "delay", via_broker(task))


def test_redis_restarted_in_the_middle_of_a_launch(
    journey, emulator, private_redis, monkeypatch, transactional_db
):
    _send_through(monkeypatch, private_redis.url)
    # The worker's broker, rate limiter and cache are all the private Redis.
    worker = start_celery_worker(extra_env={"REDIS_URL": private_redis.url})
    try:
        emulator.faults(latency_ms=150, operations=["CreateHITWithHITType"])
        journey.launch(40)
        wait_for(lambda: journey.rows_created() >= 5, timeout=30, message="the first HITs")

        private_redis.stop()
        at_kill = journey.rows_created()
        # HITs keep coming while Redis is away: the rate limiter paces on this machine alone.
        wait_for(
            lambda: journey.rows_created() >= at_kill + 3,
            timeout=20,
            message="rows created while Redis is down",
        )
        assert "pacing on this machine only" in worker.log
        private_redis.start()

        wait_for(
            lambda: (
                journey.batch_status() == BatchStatus.LAUNCHED or worker.process.poll() is not None
            ),
            timeout=60,
            message="the launch to finish or the worker to exit",
        )
        # Celery's Redis transport may give up on the lost connection ("Unrecoverable error")
        # and exit once its running task is done; the deployment's restart policy (compose:
        # unless-stopped) starts it again, and a starting worker resumes what was left.
        wait_for(
            lambda: worker.process.poll() is not None or worker.log.count("Connected to redis") > 1,
            timeout=30,
            message="the worker to reconnect or exit",
        )
        if worker.process.poll() is not None:
            worker = start_celery_worker(extra_env={"REDIS_URL": private_redis.url})
        journey.wait_launched(timeout=60)
        emulator.clear_faults()
        journey.work()
        journey.sync()
        journey.review()
        journey.bonus_batch_make(8)
        journey.bonus_pay_in_worker()
        journey.wait_bonus_done()
    finally:
        worker.stop()
    assert_invariants(journey)
