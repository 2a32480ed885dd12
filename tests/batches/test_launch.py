"""Launching against a real local MTurk: exactly one HIT per row, whatever gets lost or killed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.batches import actions, launch, services, tasks
from apps.batches.models import Batch, BatchAction, BatchRow, BatchStatus, RowStatus
from apps.hits.models import HIT, HITType
from apps.requesters.models import Membership
from tests.batches.conftest import make_batch, make_project, rows_csv
from tests.fixtures.celery import start_celery_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager():
    """Celery tasks run inline, as soon as their transaction commits."""
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def queued(monkeypatch):
    """Tasks are recorded instead of sent: the test drives the work itself."""
    sent = []
    for name in ("batch_launch_task", "batch_chunk_task", "batch_action_task"):
        task = getattr(tasks, name)
        monkeypatch.setattr(task, "delay", lambda *args, _n=name: sent.append((_n, *args)))
    return sent


def _membership(user):
    return Membership.objects.get(user=user)


def _hits_at_mturk(client) -> list[dict]:
    hits, token = [], None
    while True:
        page = client.list_hits(MaxResults=100, **({"NextToken": token} if token else {}))
        hits += page["HITs"]
        token = page.get("NextToken")
        if not token:
            return hits


def _calls(emulator, account, operation: str) -> int:
    return emulator.stats()["customers"].get(account.access_key_id, {}).get(operation, 0)


def _assert_one_hit_per_row(batch, account_mturk):
    hits = _hits_at_mturk(account_mturk)
    rows = list(batch.rows.order_by("index"))
    assert all(r.status == RowStatus.CREATED for r in rows), [
        (r.index, r.error) for r in rows if r.status != RowStatus.CREATED
    ]
    assert len(hits) == len(rows)
    assert {h["HITId"] for h in hits} == {r.hit_mturk_id for r in rows}
    markers = sorted(h["RequesterAnnotation"].split()[0] for h in hits)
    assert markers == sorted(launch.row_marker(batch, r.index) for r in rows)


def test_it_launches_one_hit_per_row_with_the_filled_question_and_mirrors_them(
    local_account, account_mturk, carol, emulator, eager
):
    project = make_project(local_account, carol)
    text = "image_url,caption\nhttps://x/1.png,<script>alert(1)</script>\nhttps://x/2.png,two\n"
    batch = make_batch(project, carol, text)

    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED
    _assert_one_hit_per_row(batch, account_mturk)
    row = batch.rows.get(index=0)
    question = account_mturk.get_hit(HITId=row.hit_mturk_id)["HIT"]["Question"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in question and "<script>" not in question
    assert row.hit == HIT.objects.get(mturk_id=row.hit_mturk_id)
    assert row.hit.hit_type == HITType.objects.get(mturk_id=batch.hit_type_mturk_id)
    assert row.unique_request_token == f"mturkdash-{batch.launch_key}-0"
    assert _calls(emulator, local_account, "CreateHITType") == 1
    event = AuditEvent.objects.get(action="batch.launch")
    assert (event.amount, event.fee, event.actor) == (Decimal("1.00"), Decimal("0.20"), carol)


def test_every_row_once_when_mturk_loses_responses(
    local_account, account_mturk, carol, emulator, eager
):
    project = make_project(local_account, carol)
    batch = make_batch(project, carol, rows_csv(40))
    emulator.faults(lost_response_rate=0.25, seed=3, operations=["CreateHITWithHITType"])

    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED
    _assert_one_hit_per_row(batch, account_mturk)
    # Responses were indeed lost and the calls repeated (with the same tokens).
    assert _calls(emulator, local_account, "CreateHITWithHITType") > 40
    # The HITs MTurk named in its "already exists" answers were read into the mirror after.
    assert _calls(emulator, local_account, "GetHIT") > 0
    assert not batch.rows.filter(hit__isnull=True).exists()
    assert all(r.hit.mturk_id == r.hit_mturk_id for r in batch.rows.select_related("hit"))


def test_a_row_that_failed_after_a_lost_response_is_retried_into_the_same_hit(
    local_account, account_mturk, carol, emulator, eager, settings, monkeypatch
):
    settings.MTURK_MAX_ATTEMPTS = 0  # botocore: retries after the first attempt
    monkeypatch.setattr(launch, "ROW_RETRIES", 0)
    project = make_project(local_account, carol)
    batch = make_batch(project, carol, rows_csv(3))
    emulator.faults(lost_response_rate=1.0, operations=["CreateHITWithHITType"])

    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED
    assert list(batch.rows.values_list("status", flat=True)) == [RowStatus.FAILED] * 3
    assert "ServiceFault" in batch.rows.first().error or "CreateHIT" in batch.rows.first().error
    assert len(_hits_at_mturk(account_mturk)) == 3  # created, answers lost
    emulator.clear_faults()

    assert services.batch_retry_failed(membership=_membership(carol), actor=carol, batch=batch) == 3

    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED
    _assert_one_hit_per_row(batch, account_mturk)
    assert AuditEvent.objects.filter(action="batch.retry").count() == 1


def test_a_killed_worker_and_a_new_one_make_exactly_one_hit_per_row(
    local_account, account_mturk, carol, emulator, celery_worker_process
):
    project = make_project(local_account, carol)
    batch = make_batch(project, carol, rows_csv(80))
    emulator.faults(latency_ms=250, operations=["CreateHITWithHITType"])

    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)
    wait_for(
        lambda: batch.rows.filter(status=RowStatus.CREATED).count() >= 8,
        timeout=60,
        message="the first HITs",
    )
    celery_worker_process.kill()
    left = batch.rows.exclude(status=RowStatus.CREATED)
    assert left.filter(status=RowStatus.CREATING).exists() and left.count() > 20
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.LAUNCHING

    second = start_celery_worker()
    try:
        wait_for(
            lambda: Batch.objects.get(pk=batch.pk).status == BatchStatus.LAUNCHED,
            timeout=90,
            message="the launch to finish in the new worker",
        )
    finally:
        second.stop()
    _assert_one_hit_per_row(batch, account_mturk)


def test_a_token_past_mturks_24_hours_is_checked_at_mturk_before_a_new_one(
    local_account, account_mturk, carol, emulator, queued
):
    project = make_project(local_account, carol)
    batch = make_batch(project, carol, rows_csv(2))
    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)
    batch.refresh_from_db()
    gateway = launch.requester_gateway(local_account)
    launch._hit_types_ensure(batch, gateway)
    old = timezone.now() - timedelta(hours=25)
    # Row 0's HIT was made a day ago (its token since forgotten); row 1's call never went out.
    made = account_mturk.create_hit_with_hit_type(
        HITTypeId=batch.hit_type_mturk_id,
        LifetimeInSeconds=3600,
        Question=launch.row_question(batch, batch.rows.get(index=0).values),
        RequesterAnnotation=launch.row_annotation(batch, 0),
    )["HIT"]
    for index in (0, 1):
        BatchRow.objects.filter(batch=batch, index=index).update(
            unique_request_token=launch.row_token(batch, index), token_issued_at=old
        )
    # Row 0 was left `creating` by a worker that died a day ago.
    BatchRow.objects.filter(batch=batch, index=0).update(status=RowStatus.CREATING)

    launch.batch_chunk_run(batch.pk, 0, 1)

    row0, row1 = batch.rows.order_by("index")
    assert row0.status == RowStatus.CREATED and row0.hit_mturk_id == made["HITId"]
    assert row1.status == RowStatus.CREATED
    assert row1.unique_request_token.startswith(launch.row_token(batch, 1) + "-")
    assert len(_hits_at_mturk(account_mturk)) == 2


def test_launch_is_refused_when_the_balance_cannot_cover_it(local_account, carol, emulator, queued):
    project = make_project(local_account, carol, reward="900.00", max_assignments=10)
    batch = make_batch(project, carol, rows_csv(2))
    with pytest.raises(ValidationError, match=r"balance, \$10000.00, does not cover"):
        services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.VALIDATED
    assert queued == []


def test_a_production_launch_needs_the_account_name_typed(local_account, carol, emulator, queued):
    local_account.environment = "production"
    local_account.save()
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(1))
    with pytest.raises(ValidationError, match="type its name"):
        services.batch_launch(
            membership=_membership(carol), actor=carol, batch=batch, confirm_name="lab"
        )
    services.batch_launch(
        membership=_membership(carol), actor=carol, batch=batch, confirm_name=local_account.name
    )
    assert queued == [("batch_launch_task", batch.pk)]


def test_a_reviewer_cannot_launch(local_account, carol, bob, queued):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(1))
    with pytest.raises(PermissionDenied):
        services.batch_launch(membership=_membership(bob), actor=bob, batch=batch)


def test_cancel_stops_claiming_rows_settles_those_in_flight_and_can_expire(
    local_account, account_mturk, carol, emulator, queued
):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(5))
    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)
    batch.refresh_from_db()
    gateway = launch.requester_gateway(local_account)
    launch._hit_types_ensure(batch, gateway)
    for index in (0, 1):
        launch.row_create(batch, batch.rows.get(index=index).pk, gateway, None)
    # Row 2 was claimed by a worker that then died mid-call.
    BatchRow.objects.filter(batch=batch, index=2).update(
        status=RowStatus.CREATING, unique_request_token=launch.row_token(batch, 2)
    )

    services.batch_cancel(membership=_membership(carol), actor=carol, batch=batch, expire=True)
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.CANCELLING
    launch.batch_launch_run(batch.pk)
    # The expiry was queued as a bulk action of its own: run it as a worker would.
    expiries = [args for name, *args in queued if name == "batch_action_task"]
    assert len(expiries) == 1
    actions.batch_action_run(*expiries[0])

    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED
    statuses = dict(batch.rows.values_list("index", "status"))
    assert statuses == {0: "created", 1: "created", 2: "created", 3: "pending", 4: "pending"}
    hits = _hits_at_mturk(account_mturk)
    assert len(hits) == 3
    assert all(
        h["HITStatus"] in ("Reviewable", "Unassignable") or h["Expiration"] <= emulator.now()
        for h in hits
    )
    assert AuditEvent.objects.filter(action="batch.cancel").exists()
    assert AuditEvent.objects.filter(action="batch.expire").exists()


def test_every_new_hit_type_gets_its_notification_settings(
    local_account, carol, emulator, eager, sqs_queue
):
    local_account.sqs_queue_url = sqs_queue
    local_account.save(update_fields=["sqs_queue_url"])
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(2))

    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)

    batch.refresh_from_db()
    hit_type = HITType.objects.get(mturk_id=batch.hit_type_mturk_id)
    assert hit_type.notifications_configured_at is not None
    event = AuditEvent.objects.get(action="notifications.configure")
    assert (event.target_id, event.actor) == (batch.hit_type_mturk_id, carol)
    assert event.details == {"destination": sqs_queue}
    assert _calls(emulator, local_account, "UpdateNotificationSettings") == 1
    assert batch.error == ""


def test_a_balance_that_runs_out_stops_the_launch_and_a_relaunch_finishes_it(
    local_account, account_mturk, carol, emulator, eager, monkeypatch
):
    # The local MTurk charges at approval; real MTurk refuses CreateHIT on an empty balance.
    from apps.mturk.errors import MTurkInsufficientFunds
    from apps.mturk.gateway import Gateway

    real_call = Gateway.call
    made = []

    def call(self, operation, **params):
        if operation == "create_hit_with_hit_type":
            if len(made) >= 2:
                raise MTurkInsufficientFunds("You do not have enough funds.", operation=operation)
            made.append(params["UniqueRequestToken"])
        return real_call(self, operation, **params)

    monkeypatch.setattr(Gateway, "call", call)
    monkeypatch.setattr(launch, "chunk_threads", lambda: 1)
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(4))

    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert "balance ran out" in batch.error
    assert sorted(batch.rows.values_list("status", flat=True)) == [
        "created",
        "created",
        "pending",
        "pending",
    ]
    monkeypatch.setattr(Gateway, "call", real_call)

    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED
    _assert_one_hit_per_row(batch, account_mturk)
    assert AuditEvent.objects.filter(action="batch.relaunch").exists()


def test_a_starting_worker_resumes_unfinished_launches_and_unread_hits(
    local_account, carol, queued, monkeypatch
):
    launching = make_batch(make_project(local_account, carol), carol, rows_csv(1), "A")
    unread = make_batch(make_project(local_account, carol, name="P2"), carol, rows_csv(1), "B")
    done = make_batch(make_project(local_account, carol, name="P3"), carol, rows_csv(1), "C")
    Batch.objects.filter(pk=launching.pk).update(status=BatchStatus.LAUNCHING)
    Batch.objects.filter(pk__in=[unread.pk, done.pk]).update(status=BatchStatus.LAUNCHED)
    unread.rows.update(status=RowStatus.CREATED, hit_mturk_id="3NAMEDBYMTURK")
    running = BatchAction.objects.create(batch=done, kind="expire", status="running")
    BatchAction.objects.create(batch=done, kind="expire", status="done")
    resumed, reads = [], []
    monkeypatch.setattr(tasks.batches_resume_all, "delay", lambda: resumed.append(True))
    monkeypatch.setattr(tasks.batch_rows_read_task, "delay", reads.append)

    tasks._resume_on_start()  # the worker_ready handler
    tasks.batches_resume_all()

    assert resumed == [True]
    assert queued == [("batch_launch_task", launching.pk), ("batch_action_task", running.pk)]
    assert reads == [unread.pk]


def test_when_mturk_does_not_name_the_existing_hit_it_is_found_by_its_marker(
    local_account, account_mturk, carol, emulator, eager, monkeypatch
):
    import re

    monkeypatch.setattr(launch, "_HIT_ID_IN_MESSAGE", re.compile(r"(?!)"))
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(12))
    emulator.faults(lost_response_rate=0.3, seed=5, operations=["CreateHITWithHITType"])

    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED
    assert _calls(emulator, local_account, "ListHITs") > 0  # before the test's own listing
    _assert_one_hit_per_row(batch, account_mturk)
    assert not batch.rows.filter(hit__isnull=True).exists()


def test_an_unreachable_mturk_leaves_a_row_retrying_until_the_outage_patience_runs_out(
    local_account, carol, emulator, queued, settings, monkeypatch
):
    import socket
    import threading
    import time

    from django.db import connection

    from apps.batches.selectors import launch_progress

    settings.MTURK_MAX_ATTEMPTS = 1
    settings.BATCH_LAUNCH_OUTAGE_SECONDS = 2
    monkeypatch.setattr(launch, "ROW_RETRIES", 0)  # without the patience: one call, then failed
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(1))
    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)
    batch.refresh_from_db()
    launch._hit_types_ensure(batch, launch.requester_gateway(local_account))
    with socket.socket() as sock:  # a port nobody listens on: connections are refused
        sock.bind(("127.0.0.1", 0))
        local_account.endpoint_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    local_account.save(update_fields=["endpoint_url"])
    gateway = launch.requester_gateway(local_account)
    row = batch.rows.get()
    outcome = []
    started = time.monotonic()

    def create() -> None:
        try:
            outcome.append(launch.row_create(batch, row.pk, gateway, None))
        finally:
            connection.close()

    thread = threading.Thread(target=create)
    thread.start()

    wait_for(lambda: launch_progress(batch).retrying == 1, timeout=10, message="the row to retry")
    row.refresh_from_db()
    assert row.status == RowStatus.CREATING and row.error.startswith("Retrying")
    thread.join(timeout=30)

    assert outcome == [RowStatus.FAILED]
    assert time.monotonic() - started >= 2
    assert gateway.calls["CreateHITWithHITType"] >= 2
    row.refresh_from_db()
    assert "Could not connect" in row.error and row.unique_request_token


def test_the_hit_type_waits_out_an_unreachable_mturk_too(
    local_account, carol, queued, settings, monkeypatch
):
    import socket
    import time

    from apps.mturk.errors import MTurkUnavailable

    settings.MTURK_MAX_ATTEMPTS = 1
    settings.BATCH_LAUNCH_OUTAGE_SECONDS = 1
    monkeypatch.setattr(launch, "ROW_RETRIES", 0)
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(1))
    Batch.objects.filter(pk=batch.pk).update(
        launch_properties=services._launch_properties(batch.project)
    )
    batch.refresh_from_db()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        local_account.endpoint_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    local_account.save(update_fields=["endpoint_url"])
    gateway = launch.requester_gateway(local_account)
    started = time.monotonic()

    with pytest.raises(MTurkUnavailable):
        launch._hit_types_ensure(batch, gateway)

    assert time.monotonic() - started >= 1
    assert gateway.calls["CreateHITType"] >= 2  # ROW_RETRIES alone would allow one call
