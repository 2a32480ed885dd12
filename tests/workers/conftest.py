"""Workers seen by the test account: real submissions to the local MTurk, then reconciled."""

from __future__ import annotations

import pytest

from apps.requesters.models import Membership
from apps.sync.services import requester_sync
from tests.helpers import create_hit, work


@pytest.fixture
def workers(local_account, account_mturk, emulator) -> list[str]:
    """Three workers who each submitted one assignment of a HIT of the account."""
    hit = create_hit(account_mturk, MaxAssignments=3)
    ids = [work(emulator, hit["HITId"])[1] for _ in range(3)]
    requester_sync(requester=local_account)
    return ids


@pytest.fixture
def eager():
    """Celery tasks run inline, as soon as their transaction commits."""
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def membership_of(user) -> Membership:
    return Membership.objects.select_related("requester").get(user=user)


def approve_all(account_mturk) -> None:
    """MTurk lets a requester notify only workers whose work it approved or rejected."""
    for hit in account_mturk.list_hits()["HITs"]:
        for assignment in account_mturk.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]:
            if assignment["AssignmentStatus"] == "Submitted":
                account_mturk.approve_assignment(AssignmentId=assignment["AssignmentId"])
