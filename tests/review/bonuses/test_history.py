"""A batch's bonus history: listed with its totals, and refreshed from MTurk's ListBonusPayments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.batches import services as batch_services
from apps.hits.models import Assignment
from apps.requesters.models import Membership
from apps.review.bonuses import selectors
from apps.review.bonuses.services import bonus_send
from apps.review.models import BonusPayment
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project, rows_csv
from tests.helpers import work

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _eager_and_files(settings, tmp_path):
    from mturkdash.celery import app

    settings.VAR_DIR = tmp_path
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _launched(project, carol, name):
    batch = make_batch(project, carol, rows_csv(2), name=name)
    batch_services.batch_launch(
        membership=Membership.objects.get(user=carol), actor=carol, batch=batch
    )
    batch.refresh_from_db()
    return batch


def test_refresh_from_mturk_adds_bonuses_paid_elsewhere_and_confirms_ours_once(
    login, bob, carol, local_account, account_mturk, emulator
):
    project = make_project(local_account, carol)
    batch = _launched(project, carol, "Pilot")
    other = _launched(project, carol, "Other")
    for row in [*batch.rows.all(), *other.rows.all()]:
        work(emulator, row.hit_mturk_id)
    requester_sync(requester=local_account)
    first, second = Assignment.objects.filter(hit__batch_key=batch.launch_key).order_by("pk")
    theirs = Assignment.objects.filter(hit__batch_key=other.launch_key).first()
    membership = Membership.objects.get(user=bob)
    for assignment, amount in ((first, "0.50"), (theirs, "0.30")):
        bonus_send(
            membership=membership,
            actor=bob,
            worker_id=assignment.worker_id,
            assignment_mturk_id=assignment.mturk_id,
            hit_mturk_id=assignment.hit.mturk_id,
            amount=amount,
            reason="Careful work",
        )
    # Paid outside the dashboard (the MTurk website, a script): we hold no row for it yet.
    account_mturk.send_bonus(
        WorkerId=first.worker_id,
        BonusAmount="0.25",
        AssignmentId=first.mturk_id,
        Reason="Extra <b>effort</b>",
        UniqueRequestToken="paid-by-hand-1",
    )
    client = login(bob)

    response = client.post(f"/batches/{batch.pk}/bonuses/refresh/")

    assert response.status_code == 302 and response["Location"].endswith("#bonuses")
    rows = list(selectors.batch_bonuses(batch))
    assert sorted((r.amount, r.status, bool(r.unique_request_token)) for r in rows) == [
        (Decimal("0.25"), "sent", False),
        (Decimal("0.50"), "sent", True),
    ]
    assert all(r.hit_mturk_id == first.hit.mturk_id for r in rows)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "MTurk lists 2 bonus payments." in page
    # $0.75 paid, fees $0.10 + $0.05 (20%, at least a cent each).
    assert "<strong>$0.75</strong> paid + $0.15 MTurk fee = <strong>$0.90</strong>" in page
    assert "Extra &lt;b&gt;effort&lt;/b&gt;" in page and "<b>effort" not in page
    assert "paid elsewhere" in page and "$0.30" not in page
    stats = emulator.stats()["customers"][local_account.access_key_id]
    assert stats["ListBonusPayments"] == 1  # only the batch's one HIT with bonuses

    client.post(f"/batches/{batch.pk}/bonuses/refresh/")

    assert BonusPayment.objects.filter(requester=local_account).count() == 3
    assert AuditEvent.objects.filter(action="batch.bonuses.refresh").count() == 2
    assert second.mturk_id not in {r.assignment_mturk_id for r in rows}
    worker_page = client.get(f"/workers/{first.worker_id}/").content.decode()
    assert "<strong>$0.75</strong> paid + $0.15 MTurk fee = $0.90" in worker_page
    assert worker_page.count("paid elsewhere") == 1 and "$0.30" not in worker_page


def test_a_viewer_sees_the_history_but_no_refresh(login, victor, carol, local_account, emulator):
    batch = _launched(make_project(local_account, carol), carol, "Pilot")
    page = login(victor).get(f"/batches/{batch.pk}/").content.decode()
    assert "No bonus recorded for this batch" in page
    assert "Refresh from MTurk" not in page
    assert login(victor).post(f"/batches/{batch.pk}/bonuses/refresh/").status_code == 403
