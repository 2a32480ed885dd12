"""Gradual release against a real local MTurk: HITs published a wave at a time as the simulated
crowd finishes the last, or as minutes pass; paused, resumed, raced, killed and cancelled."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.batches import services, tasks, waves
from apps.batches.models import Batch, BatchStatus, BatchWave, RowStatus
from apps.requesters.models import Membership
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project, rows_csv

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager():
    """Celery tasks run inline, as soon as their transaction commits."""
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


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


def _wave_batch(account, user, *, rows=10, size=3, done=None, every=None, **project):
    batch = make_batch(make_project(account, user, **project), user, rows_csv(rows))
    waves.batch_waves_plan(
        membership=_membership(user),
        actor=user,
        batch=batch,
        size=size,
        done_percent=done,
        every_minutes=every,
    )
    services.batch_launch(membership=_membership(user), actor=user, batch=batch)
    batch.refresh_from_db()
    return batch


def _work(emulator, account, batch, wave_number: int, count: int | None = None) -> int:
    """The crowd submits `count` assignments (all it asks for by default) to a wave's HITs, and
    the dashboard reconciles."""
    wave = batch.waves.get(number=wave_number)
    rows = batch.rows.filter(index__gte=wave.first_index, index__lte=wave.last_index)
    hit_ids = list(rows.values_list("hit_mturk_id", flat=True))
    done = emulator.crowd_work(
        HITIds=hit_ids,
        assignments=count or len(hit_ids),
        profile="diligent",
        return_rate=0,
        abandon_rate=0,
        seed=f"wave-{wave_number}",
    )
    requester_sync(requester=account)
    return done["Submitted"]


def _statuses(batch) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in batch.rows.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def test_it_releases_a_wave_each_time_the_crowd_finishes_the_last(
    local_account, account_mturk, carol, emulator, eager
):
    batch = _wave_batch(local_account, carol, rows=10, size=3, done=100)

    assert batch.status == BatchStatus.LAUNCHED  # between waves
    assert len(_hits_at_mturk(account_mturk)) == 3
    assert _statuses(batch) == {RowStatus.CREATED: 3, RowStatus.HELD: 7}
    assert list(batch.rows.filter(status=RowStatus.CREATED).values_list("index", flat=True)) == [
        0,
        1,
        2,
    ]
    assert waves.batch_waves_due() == []  # nobody worked yet

    # Two of three done is not 100%.
    assert _work(emulator, local_account, batch, 1, count=2) == 2
    assert waves.wave_progress(batch, batch.waves.get(number=1)).percent == 66
    assert waves.batch_waves_due() == []

    # The third assignment of wave 1, then each wave in full: the next wave each time.
    _work(emulator, local_account, batch, 1, count=1)
    for number, at_mturk in ((2, 6), (3, 9), (4, 10)):
        if number > 2:
            _work(emulator, local_account, batch, number - 1)
        released = waves.batch_waves_due()
        assert [(w.number, w.reason) for w in released] == [(number, "done")]
        assert len(_hits_at_mturk(account_mturk)) == at_mturk
        batch.refresh_from_db()
        assert batch.status == BatchStatus.LAUNCHED

    assert _statuses(batch) == {RowStatus.CREATED: 10}
    assert [
        (w.number, w.rows, w.first_index, w.last_index, w.reason) for w in batch.waves.all()
    ] == [
        (1, 3, 0, 2, "launch"),
        (2, 3, 3, 5, "done"),
        (3, 3, 6, 8, "done"),
        (4, 1, 9, 9, "done"),
    ]
    _work(emulator, local_account, batch, 4)
    assert waves.batch_waves_due() == []  # nothing held: no fifth wave
    assert BatchWave.objects.filter(batch=batch).count() == 4
    hits = _hits_at_mturk(account_mturk)
    assert {h["HITId"] for h in hits} == set(batch.rows.values_list("hit_mturk_id", flat=True))

    # The launch committed the whole batch once; the waves committed nothing more.
    launch = AuditEvent.objects.get(action="batch.launch", target_id=str(batch.pk))
    assert (launch.amount, launch.fee) == (Decimal("5.00"), Decimal("1.00"))
    wave_entries = AuditEvent.objects.filter(action="batch.wave", target_id=str(batch.pk))
    assert wave_entries.count() == 4
    assert not wave_entries.exclude(amount=None).exists()
    assert wave_entries.order_by("pk").first().actor == carol  # wave 1, by the launcher
    assert not AuditEvent.objects.filter(action="batch.relaunch").exists()


def test_every_t_minutes_by_the_local_mturks_clock(
    local_account, account_mturk, carol, emulator, eager
):
    batch = _wave_batch(local_account, carol, rows=5, size=2, every=5)
    first = batch.waves.get(number=1)

    assert waves.batch_waves_due(now=first.released_at + timedelta(minutes=4)) == []
    now = emulator.advance(5 * 60 + 1)
    assert now >= first.released_at + timedelta(minutes=5)

    released = waves.batch_waves_due(now=now)

    assert [(w.number, w.reason, w.released_at) for w in released] == [(2, "timer", now)]
    assert len(_hits_at_mturk(account_mturk)) == 4
    # The next five minutes count from wave 2.
    assert waves.batch_waves_due(now=now + timedelta(minutes=4)) == []
    third = waves.batch_waves_due(now=now + timedelta(minutes=5))
    assert [(w.number, w.rows) for w in third] == [(3, 1)]
    assert len(_hits_at_mturk(account_mturk)) == 5
    assert waves.batch_waves_due(now=now + timedelta(hours=1)) == []


def test_whichever_condition_comes_first(local_account, account_mturk, carol, emulator, eager):
    batch = _wave_batch(local_account, carol, rows=6, size=2, done=50, every=30)
    first = batch.waves.get(number=1)

    _work(emulator, local_account, batch, 1, count=1)  # 50% of wave 1, long before 30 minutes
    assert [w.reason for w in waves.batch_waves_due()] == ["done"]
    second = batch.waves.get(number=2)
    assert second.released_at < first.released_at + timedelta(minutes=30)
    later = second.released_at + timedelta(minutes=30)
    assert [w.reason for w in waves.batch_waves_due(now=later)] == ["timer"]
    assert len(_hits_at_mturk(account_mturk)) == 6


def test_pause_stops_the_releases_and_resume_continues(
    local_account, account_mturk, carol, emulator, eager
):
    batch = _wave_batch(local_account, carol, rows=4, size=2, done=100)
    membership = _membership(carol)
    assert waves.batch_waves_pause(membership=membership, actor=carol, batch=batch) is True
    assert waves.batch_waves_pause(membership=membership, actor=carol, batch=batch) is False
    _work(emulator, local_account, batch, 1)

    assert waves.batch_waves_due() == []
    assert waves.batch_waves_due(now=timezone.now() + timedelta(days=1)) == []
    assert len(_hits_at_mturk(account_mturk)) == 2
    batch.refresh_from_db()
    assert "Paused" in waves.batch_waves_view(batch).condition

    assert waves.batch_waves_resume(membership=membership, actor=carol, batch=batch) is True
    assert [w.number for w in waves.batch_waves_due()] == [2]
    assert len(_hits_at_mturk(account_mturk)) == 4
    actions = AuditEvent.objects.filter(target_id=str(batch.pk)).values_list("action", flat=True)
    assert list(actions.filter(action="batch.waves_pause")) == ["batch.waves_pause"]
    assert list(actions.filter(action="batch.waves_resume")) == ["batch.waves_resume"]


def test_a_manager_releases_the_next_wave_by_hand_even_while_paused(
    local_account, account_mturk, carol, bob, emulator, eager
):
    batch = _wave_batch(local_account, carol, rows=5, size=2, done=100)
    membership = _membership(carol)
    waves.batch_waves_pause(membership=membership, actor=carol, batch=batch)

    wave = waves.batch_wave_release_now(membership=membership, actor=carol, batch=batch, after=1)

    assert (wave.number, wave.reason, wave.released_by) == (2, "manual", carol)
    assert len(_hits_at_mturk(account_mturk)) == 4
    # A second click made on the same page (it saw wave 1) releases nothing more.
    with pytest.raises(ValidationError, match="released meanwhile"):
        waves.batch_wave_release_now(membership=membership, actor=carol, batch=batch, after=1)
    with pytest.raises(PermissionDenied):
        waves.batch_wave_release_now(membership=_membership(bob), actor=bob, batch=batch)
    waves.batch_wave_release_now(membership=membership, actor=carol, batch=batch, after=2)
    with pytest.raises(ValidationError, match="released already"):
        waves.batch_wave_release_now(membership=membership, actor=carol, batch=batch)
    assert len(_hits_at_mturk(account_mturk)) == 5


def _at_once(call, *, times: int) -> list:
    """Run `call` in `times` threads released together; each closes its DB connection."""
    barrier = threading.Barrier(times)
    outcomes: list = []

    def run():
        barrier.wait()
        try:
            outcomes.append(call())
        except ValidationError as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == times
    return outcomes


def test_two_releases_at_once_release_one_wave(
    local_account, account_mturk, carol, emulator, eager
):
    batch = _wave_batch(local_account, carol, rows=9, size=3, done=100)
    membership = _membership(carol)

    outcomes = _at_once(
        lambda: waves.batch_wave_release_now(
            membership=membership, actor=carol, batch=Batch.objects.get(pk=batch.pk), after=1
        ),
        times=2,
    )

    assert sorted(type(o).__name__ for o in outcomes) == ["BatchWave", "ValidationError"]
    assert batch.waves.count() == 2
    assert len(_hits_at_mturk(account_mturk)) == 6

    # The beat's minute run twice at once, once wave 2 is done: one more wave.
    _work(emulator, local_account, batch, 2)
    ticks = _at_once(waves.batch_waves_due, times=2)
    assert sorted(len(t) for t in ticks) == [0, 1]
    assert waves.batch_waves_due() == []  # and the same call again: wave 3 is not done
    assert batch.waves.count() == 3
    assert _statuses(batch) == {RowStatus.CREATED: 9}
    assert len(_hits_at_mturk(account_mturk)) == 9


def test_a_release_whose_launch_task_was_lost_is_launched_by_the_next_beat(
    local_account, account_mturk, carol, emulator, eager, monkeypatch
):
    batch = _wave_batch(local_account, carol, rows=6, size=3, done=100)

    def killed(*args):
        raise RuntimeError("the worker was killed before it queued the launch")

    with monkeypatch.context() as patched:
        patched.setattr(tasks.batch_launch_task, "delay", killed)
        with pytest.raises(RuntimeError):
            waves.batch_wave_release(batch=batch, reason="manual", actor=carol)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHING
    assert _statuses(batch) == {RowStatus.CREATED: 3, RowStatus.PENDING: 3}
    assert len(_hits_at_mturk(account_mturk)) == 3
    # A launch may still be on its way within the first minutes: the beat waits.
    assert waves.batch_waves_due() == []
    assert len(_hits_at_mturk(account_mturk)) == 3

    waves.batch_waves_due(now=timezone.now() + waves.STALLED_AFTER + timedelta(seconds=1))

    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED
    assert _statuses(batch) == {RowStatus.CREATED: 6}
    assert len(_hits_at_mturk(account_mturk)) == 6
    assert batch.waves.count() == 2  # launched again, not released again


def test_a_wave_whose_launch_closed_before_it_saw_the_rows_is_launched_by_the_next_beat(
    local_account, account_mturk, carol, emulator, eager
):
    """A launch finishing as the next wave is released can close the batch (launched) with the
    new rows pending: the beat launches them."""
    batch = _wave_batch(local_account, carol, rows=4, size=2, done=100)
    batch.rows.filter(status=RowStatus.HELD).update(status=RowStatus.PENDING)

    waves.batch_waves_due()

    batch.refresh_from_db()
    assert (batch.status, _statuses(batch)) == (BatchStatus.LAUNCHED, {RowStatus.CREATED: 4})
    assert len(_hits_at_mturk(account_mturk)) == 4


def test_a_cancelled_batch_releases_nothing_and_gives_back_its_held_rows(
    local_account, account_mturk, carol, emulator, eager
):
    batch = _wave_batch(local_account, carol, rows=10, size=3, every=1)
    membership = _membership(carol)

    waves.batch_waves_cancel(membership=membership, actor=carol, batch=batch, expire=False)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED
    assert waves.batch_waves_due(now=timezone.now() + timedelta(days=1)) == []
    with pytest.raises(ValidationError, match="cancelled batch releases no more"):
        waves.batch_wave_release_now(membership=membership, actor=carol, batch=batch)
    assert waves.batch_wave_release(batch=batch, reason="manual") is None
    assert _statuses(batch) == {RowStatus.CREATED: 3, RowStatus.HELD: 7}
    assert len(_hits_at_mturk(account_mturk)) == 3
    # The seven held rows' commitment (0.50 and 0.10 of fee each) is given back, once.
    release = AuditEvent.objects.get(action="batch.release", target_id=str(batch.pk))
    assert (release.amount, release.fee) == (Decimal("-3.50"), Decimal("-0.70"))
    assert release.details["rows"] == 7
    assert "Cancelled" in waves.batch_waves_view(batch).condition


def test_a_batch_launching_its_wave_is_cancelled_with_its_held_rows(
    local_account, carol, emulator, eager, monkeypatch
):
    """Cancelled while a wave is being published (the batch's own Cancel button): the wave's
    rows not yet created and every held row are given back."""
    monkeypatch.setattr(tasks.batch_launch_task, "delay", lambda *args: None)
    batch = _wave_batch(local_account, carol, rows=5, size=2, done=100)
    assert batch.status == BatchStatus.LAUNCHING
    services.batch_cancel(membership=_membership(carol), actor=carol, batch=batch, expire=False)
    monkeypatch.undo()
    tasks.batch_launch_task.delay(batch.pk)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.CANCELLED
    release = AuditEvent.objects.get(action="batch.release", target_id=str(batch.pk))
    assert (release.amount, release.details["rows"]) == (Decimal("-2.50"), 5)
    assert waves.batch_waves_due(now=timezone.now() + timedelta(days=1)) == []


def test_a_batch_without_waves_launches_whole_and_the_beat_leaves_it(
    local_account, account_mturk, carol, emulator, eager
):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(4))
    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)

    assert waves.batch_waves_begin(batch) is None
    assert waves.batch_waves_due(now=timezone.now() + timedelta(days=1)) == []
    assert not BatchWave.objects.filter(batch=batch).exists()
    assert len(_hits_at_mturk(account_mturk)) == 4


def test_waves_are_planned_before_the_launch_only_and_validated(local_account, carol, victor):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(5))
    membership = _membership(carol)

    def plan(**kwargs):
        return waves.batch_waves_plan(membership=membership, actor=carol, batch=batch, **kwargs)

    for kwargs, message in [
        ({"size": 0, "done_percent": 50}, "at least one HIT"),
        ({"size": 6, "done_percent": 50}, "at most the batch's 5 HITs"),
        ({"size": 2, "done_percent": 0}, "between 1 and 100"),
        ({"size": 2, "done_percent": 101}, "between 1 and 100"),
        ({"size": 2, "every_minutes": 0}, "at least one minute"),
        ({"size": 2}, "a percentage done, minutes, or both"),
    ]:
        with pytest.raises(ValidationError, match=message):
            plan(**kwargs)
    with pytest.raises(PermissionDenied):
        waves.batch_waves_plan(
            membership=_membership(victor), actor=victor, batch=batch, size=2, done_percent=50
        )
    plan(size=2, done_percent=80, every_minutes=30)
    batch.refresh_from_db()
    assert (batch.wave_size, batch.wave_done_percent, batch.wave_every_minutes) == (2, 80, 30)
    assert waves.plan_in_words(batch) == (
        "2 HITs per wave, the next when the last is 80% done or every 30 minutes."
    )
    plan(size=None)
    batch.refresh_from_db()
    assert (batch.wave_size, batch.wave_done_percent, batch.wave_every_minutes) == (None,) * 3
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.LAUNCHED)
    with pytest.raises(ValidationError, match="before the launch"):
        plan(size=2, done_percent=50)


def test_the_beat_runs_the_waves_every_minute(settings):
    from mturkdash.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["batches-waves"]
    assert entry["task"] in app.tasks and entry["schedule"] == 60.0
