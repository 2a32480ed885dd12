from __future__ import annotations

from decimal import Decimal

import pytest

from apps.hits.models import Assignment
from apps.review.models import BonusPayment, FeedbackReason
from apps.sync.services import requester_sync
from tests.helpers import create_hit, work

pytestmark = pytest.mark.django_db(transaction=True)

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def queue(local_account, account_mturk, emulator):
    hit = create_hit(account_mturk, MaxAssignments=3, RequesterAnnotation="image 42")
    ids = [work(emulator, hit["HITId"], {"label": label})[0] for label in ("cat", XSS, "dog")]
    requester_sync(requester=local_account)
    return [Assignment.objects.get(mturk_id=i) for i in ids]


def test_the_queue_shows_answers_as_text(login, bob, queue):
    page = login(bob).get("/review/").content.decode()
    assert page.count("data-assignment") == 3
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "image 42" in page


def test_approve_returns_the_same_card_updated(login, bob, queue):
    response = login(bob).post(
        f"/review/{queue[0].pk}/approve/", {"feedback": "Nice"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith(
        f'<article class="card assignment" id="assignment-{queue[0].pk}"'
    )
    assert "status-approved" in body
    assert Assignment.objects.get(pk=queue[0].pk).status == "Approved"


def test_reject_without_feedback_says_why_and_changes_nothing(login, bob, queue):
    body = (
        login(bob)
        .post(f"/review/{queue[1].pk}/reject/", {"feedback": ""}, HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "workers see this feedback" in body
    assert Assignment.objects.get(pk=queue[1].pk).status == "Submitted"


def test_reject_with_a_saved_reason(login, bob, queue, local_account):
    client = login(bob)
    client.post(
        f"/review/{queue[1].pk}/reject/",
        {"feedback": "Answer does not match the image", "save_reason": "1"},
    )
    assert Assignment.objects.get(pk=queue[1].pk).status == "Rejected"
    assert FeedbackReason.objects.filter(requester=local_account).count() == 1
    client.post(f"/review/{queue[2].pk}/reject/", {"reason": "Answer does not match the image"})
    assert (
        Assignment.objects.get(pk=queue[2].pk).requester_feedback
        == "Answer does not match the image"
    )


def test_a_double_submitted_bonus_form_pays_once(login, bob, queue, account_mturk):
    client = login(bob)
    form = {"amount": "0.50", "reason": "Careful work", "token": "bonus-form-abc"}
    client.post(f"/review/{queue[0].pk}/bonus/", form, HTTP_HX_REQUEST="true")
    body = client.post(
        f"/review/{queue[0].pk}/bonus/", form, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Bonus of $0.50 paid." in body
    assert BonusPayment.objects.count() == 1
    assert Decimal(account_mturk.get_account_balance()["AvailableBalance"]) == Decimal("9999.40")


def test_a_viewer_sees_the_queue_but_cannot_act(login, victor, queue):
    client = login(victor)
    page = client.get("/review/").content.decode()
    assert "Approve</button>" not in page
    assert client.post(f"/review/{queue[0].pk}/approve/").status_code == 403
    assert Assignment.objects.get(pk=queue[0].pk).status == "Submitted"


def test_an_outsider_gets_404(login, charlie, queue):
    assert login(charlie).post(f"/review/{queue[0].pk}/approve/").status_code == 404


def test_filters_by_worker_and_answer(login, bob, queue):
    client = login(bob)
    fragment = client.get("/review/", {"answer": "dog"}, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.count("data-assignment") == 1
    fragment = client.get(
        "/review/", {"worker": queue[0].worker_id}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert fragment.count("data-assignment") == 1
