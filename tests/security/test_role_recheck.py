"""A member whose role is lowered or removed stops their own queued jobs: a launch and a bulk HIT
action ask again, chunk by chunk, whether their starter may still take them, and stop with a
clear status (and an audit entry) instead of spending the account's money on their behalf."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.batches import actions, launch, services, tasks
from apps.batches.models import ActionKind, ActionStatus, Batch, BatchAction, BatchStatus
from apps.requesters.models import Membership
from tests.batches.conftest import make_batch, make_project, rows_csv

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(monkeypatch):
    """Tasks are recorded instead of sent: the test runs each job as a worker would, later."""
    sent = []
    for name in ("batch_launch_task", "batch_chunk_task", "batch_action_task"):
        task = getattr(tasks, name)
        monkeypatch.setattr(task, "delay", lambda *args, _n=name: sent.append((_n, *args)))
    return sent


def _membership(user, account):
    return Membership.objects.get(user=user, requester=account)


def _demote(user, account, role: str | None) -> None:
    if role is None:
        Membership.objects.filter(user=user, requester=account).delete()
    else:
        Membership.objects.filter(user=user, requester=account).update(role=role)


def _hit_count(client) -> int:
    return len(client.list_hits(MaxResults=100)["HITs"])


@pytest.mark.parametrize("role", ["reviewer", None], ids=["demoted", "removed"])
def test_a_queued_launch_stops_when_its_launcher_may_no_longer_launch(
    local_account, account_mturk, carol, alice, emulator, queued, role
):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(3))
    services.batch_launch(membership=_membership(carol, local_account), actor=carol, batch=batch)
    assert queued == [("batch_launch_task", batch.pk)]

    _demote(carol, local_account, role)  # before a worker takes the task
    launch.batch_launch_run(batch.pk)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert "carol may no longer launch" in batch.error
    assert _hit_count(account_mturk) == 0
    assert AuditEvent.objects.filter(action="batch.stop", target_id=str(batch.pk)).exists()

    # A manager who still may resumes it, and it finishes under their name.
    services.batch_launch(membership=_membership(alice, local_account), actor=alice, batch=batch)
    launch.batch_launch_run(batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED
    assert _hit_count(account_mturk) == 3


def test_a_launch_asks_again_at_every_chunk(
    local_account, account_mturk, carol, emulator, queued, settings
):
    settings.BATCH_LAUNCH_CHUNK = 1
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(3))
    services.batch_launch(membership=_membership(carol, local_account), actor=carol, batch=batch)
    launch.batch_launch_run(batch.pk)  # the first chunk runs here, the others are queued
    chunks = [args for name, *args in queued if name == "batch_chunk_task"]
    assert len(chunks) == 2 and _hit_count(account_mturk) == 1

    _demote(carol, local_account, "viewer")
    for args in chunks:
        launch.batch_chunk_run(*args)

    assert _hit_count(account_mturk) == 1
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.FAILED


def test_a_bulk_hit_action_stops_when_its_starter_loses_the_role(
    local_account, account_mturk, carol, emulator, queued
):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(2))
    services.batch_launch(membership=_membership(carol, local_account), actor=carol, batch=batch)
    launch.batch_launch_run(batch.pk)
    action = services.batch_action_start(
        membership=_membership(carol, local_account),
        actor=carol,
        batch=Batch.objects.get(pk=batch.pk),
        kind=ActionKind.ADD_ASSIGNMENTS,
        assignments=2,
    )

    _demote(carol, local_account, "reviewer")
    actions.batch_action_run(action.pk)

    action = BatchAction.objects.get(pk=action.pk)
    assert action.status == ActionStatus.STOPPED
    assert "carol may no longer take HIT actions" in action.error
    assert action.done == 0
    assert {h["MaxAssignments"] for h in account_mturk.list_hits()["HITs"]} == {1}
    assert AuditEvent.objects.filter(action="batch.action_stop").exists()

    # Running the stopped job again (a redelivered task) does nothing either.
    _demote(carol, local_account, "manager")
    actions.batch_action_run(action.pk)
    assert BatchAction.objects.get(pk=action.pk).status == ActionStatus.STOPPED
    assert {h["MaxAssignments"] for h in account_mturk.list_hits()["HITs"]} == {1}
