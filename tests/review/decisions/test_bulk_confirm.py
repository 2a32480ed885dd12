""" "Approve all N matching" asks first, with the number and the money as the money model has it:
work launched from the dashboard was committed at launch (nothing new is spent), work of HITs
made outside the dashboard is paid now. Nothing is decided before the yes."""

from __future__ import annotations

import pytest

from apps.batches import services as batch_services
from apps.hits.models import Assignment
from apps.requesters.models import Membership
from apps.review.models import BulkReview
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project, rows_csv
from tests.helpers import create_hit, work

pytestmark = pytest.mark.django_db(transaction=True)

ALL = {"scope": "all", "action": "approve", "status": "Submitted"}


@pytest.fixture
def mixed(local_account, carol, account_mturk, emulator, eager, settings, tmp_path):
    """Two submitted assignments of a launched batch ($0.50 each) and one of a $0.50 HIT made
    outside the dashboard."""
    settings.VAR_DIR = tmp_path
    project = make_project(local_account, carol)
    batch = make_batch(project, carol, rows_csv(2))
    membership = Membership.objects.get(user=carol, requester=local_account)
    batch_services.batch_launch(membership=membership, actor=carol, batch=batch)
    for row in batch.rows.all():
        work(emulator, row.hit_mturk_id)
    hit = create_hit(account_mturk, Reward="0.50", MaxAssignments=2)
    work(emulator, hit["HITId"])
    requester_sync(requester=local_account)
    assert Assignment.objects.filter(status="Submitted").count() == 3


def _status_at_mturk(account_mturk, assignment: Assignment) -> str:
    return account_mturk.get_assignment(AssignmentId=assignment.mturk_id)["Assignment"][
        "AssignmentStatus"
    ]


def test_approve_all_matching_shows_the_count_and_the_money_and_decides_nothing(
    login, bob, mixed, account_mturk
):
    response = login(bob).post("/review/bulk/", ALL)
    page = response.content.decode()

    assert response.status_code == 200
    assert "Approve 3 assignments?" in page
    assert (
        "2 are work launched from the dashboard: $1.00 in rewards + $0.20 MTurk fees = $1.20,"
        " already committed at launch (counted against the daily limit then). Approving them"
        " spends nothing new." in page
    )
    assert (
        "1 was not counted before (HITs made outside the dashboard, or rejections overturned):"
        " approving it pays $0.50 in rewards + $0.10 MTurk fee = <strong>$0.60</strong> now,"
        " counted against today's limit." in page
    )
    assert "Yes, approve 3</button>" in page
    # The filter travels with the yes, so the yes approves what was counted.
    assert '<input type="hidden" name="status" value="Submitted">' in page
    assert '<input type="hidden" name="confirmed" value="1">' in page
    assert not BulkReview.objects.exists()
    assert all(_status_at_mturk(account_mturk, a) == "Submitted" for a in Assignment.objects.all())


def test_the_yes_approves_them_all_at_mturk(login, bob, mixed, account_mturk):
    client = login(bob)
    page = client.post("/review/bulk/", ALL).content.decode()
    assert '<input type="hidden" name="count" value="3">' in page
    response = client.post("/review/bulk/", {**ALL, "confirmed": "1", "count": "3"})
    job = BulkReview.objects.get()
    assert response["Location"] == f"/review/jobs/{job.pk}/"
    assert all(_status_at_mturk(account_mturk, a) == "Approved" for a in Assignment.objects.all())


def test_work_arriving_after_the_question_is_asked_about_again(
    login, bob, mixed, local_account, account_mturk, emulator
):
    client = login(bob)
    assert "Approve 3 assignments?" in client.post("/review/bulk/", ALL).content.decode()
    hit = create_hit(account_mturk, Reward="0.50")
    work(emulator, hit["HITId"])
    requester_sync(requester=local_account)

    page = client.post("/review/bulk/", {**ALL, "confirmed": "1", "count": "3"}).content.decode()
    assert "changed since you were asked: nothing was approved" in page
    assert "Approve 4 assignments?" in page
    assert '<input type="hidden" name="count" value="4">' in page
    assert not BulkReview.objects.exists()
    assert all(_status_at_mturk(account_mturk, a) == "Submitted" for a in Assignment.objects.all())


def test_approving_a_selection_is_not_asked(login, bob, mixed, account_mturk):
    one = Assignment.objects.order_by("pk").first()
    response = login(bob).post(
        "/review/bulk/", {"scope": "selected", "action": "approve", "ids": [one.pk]}
    )
    assert response.status_code == 302
    assert _status_at_mturk(account_mturk, one) == "Approved"


def test_a_viewer_cannot_approve_all(login, victor, mixed, account_mturk):
    client = login(victor)
    response = client.post("/review/bulk/", {**ALL, "confirmed": "1", "count": "3"})
    assert response.status_code in (302, 403)
    assert not BulkReview.objects.exists()
    assert all(_status_at_mturk(account_mturk, a) == "Submitted" for a in Assignment.objects.all())


def test_an_outsider_approving_all_touches_none_of_this_account(
    login, charlie, mixed, account_mturk
):
    login(charlie).post("/review/bulk/", {**ALL, "confirmed": "1", "count": "3"})
    assert not BulkReview.objects.filter(requester__name="Lab account").exists()
    assert all(_status_at_mturk(account_mturk, a) == "Submitted" for a in Assignment.objects.all())
