"""Top-ups to an hourly rate: previewed, paid through the bonus flow as real bonuses at the local
MTurk, exactly once per assignment ever (a double click, a retried job, another rate)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.hits.models import Assignment
from apps.requesters.models import Membership
from apps.requesters.services import requester_spent_today
from apps.review.bonuses import bulk
from apps.review.bonuses.hourly import batch_hourly_pay
from apps.review.decisions.services import assignment_approve
from apps.review.models import BonusBatch, BonusPayment
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project, rows_csv
from tests.batches.test_views import eager, launch

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["eager"]

# Seconds each worker spends: at $12.00/h, 120 s is worth $0.40 and 60 s $0.20 (their $0.10
# reward topped up by $0.30 and $0.10); 10 s is worth $0.04, paid more than that already.
TIMES = {"ATOPUP00000001": 120, "ATOPUP00000002": 60, "ATOPUP00000003": 10}


@pytest.fixture
def worked(login, carol, local_account, emulator, eager):
    project = make_project(local_account, carol, reward=Decimal("0.10"), max_assignments=1)
    batch = make_batch(project, carol, rows_csv(3), name="Timed")
    launch(login(carol), batch)
    hits = [row.hit_mturk_id for row in batch.rows.order_by("index")]
    for hit_id, (worker, seconds) in zip(hits, TIMES.items(), strict=True):
        assignment = emulator.accept(worker, hit_id)
        emulator.advance(seconds)
        emulator.submit(assignment, {"label": "a cat"})
    requester_sync(requester=local_account)
    membership = Membership.objects.select_related("requester").get(user=carol)
    for assignment in Assignment.objects.select_related("hit__hit_type"):
        assert assignment_approve(membership=membership, assignment=assignment, actor=carol).done
    return batch


def _listed(account_mturk, worker) -> list[dict]:
    assignment = Assignment.objects.get(worker_id=worker)
    return account_mturk.list_bonus_payments(AssignmentId=assignment.mturk_id)["BonusPayments"]


def test_a_top_up_is_previewed_then_paid_once_under_a_double_post(
    worked, login, carol, account_mturk
):
    client = login(carol)
    page = client.get(f"/review/batches/{worked.pk}/topup/").content.decode()
    assert (
        "<strong>2</strong> of 3 approved assignments with a measured time paid under $12.00/h"
        in page
    )
    # $0.30 + $0.10, with MTurk's 20% fee (at least a cent each): $0.06 + $0.02.
    assert "<strong data-topup-total>$0.48</strong>" in page
    assert "ATOPUP00000001" in page and "ATOPUP00000003" not in page
    assert "Pay 2 top-ups ($0.48)" in page
    assert not BonusPayment.objects.exists()  # reading the preview pays nothing

    first = client.post(f"/review/batches/{worked.pk}/topup/pay/", {"rate": "12.00"})
    second = client.post(f"/review/batches/{worked.pk}/topup/pay/", {"rate": "12.00"}, follow=True)
    assert first["Location"] == f"/review/bonuses/{BonusBatch.objects.get().pk}/"
    assert "already" in second.content.decode()  # the second click finds nothing owed
    assert BonusBatch.objects.count() == 1

    payments = {p.worker_id: p for p in BonusPayment.objects.all()}
    assert {w: p.amount for w, p in payments.items()} == {
        "ATOPUP00000001": Decimal("0.30"),
        "ATOPUP00000002": Decimal("0.10"),
    }
    assert all(p.status == BonusPayment.Status.SENT for p in payments.values())
    for worker, amount in (("ATOPUP00000001", "0.30"), ("ATOPUP00000002", "0.10")):
        listed = _listed(account_mturk, worker)
        assert [p["BonusAmount"] for p in listed] == [amount]
        assert listed[0]["Reason"].startswith("Top-up to $12.00/h for the time you spent")
    assert _listed(account_mturk, "ATOPUP00000003") == []
    progress = client.get(first["Location"]).content.decode()
    assert "2 of 2 paid" in progress
    # The batch's effective pay counts the top-ups: ($0.30 rewards + $0.40) over about 190 s.
    pay = batch_hourly_pay(worked)
    assert (pay.rewards, pay.bonuses, int(pay.seconds)) == (Decimal("0.30"), Decimal("0.40"), 190)
    assert Decimal("13.00") < pay.hourly <= Decimal("13.26")
    page = client.get(f"/batches/{worked.pk}/").content.decode()
    assert f"Effective pay <strong>${pay.hourly} an hour</strong>" in page


def test_a_retried_job_and_another_rate_pay_nothing_more(worked, login, carol, account_mturk):
    client = login(carol)
    client.post(f"/review/batches/{worked.pk}/topup/pay/", {"rate": "12.00"})
    bonus_batch = BonusBatch.objects.get()
    membership = Membership.objects.select_related("requester").get(user=carol)
    # The job run again, as a retried task or a resumed worker would.
    BonusBatch.objects.filter(pk=bonus_batch.pk).update(status=BonusBatch.Status.PAYING)
    bulk.bonus_batch_pay(membership=membership, actor=carol, batch=bonus_batch)
    assert BonusPayment.objects.count() == 2

    # At $30.00/h the first two would be owed more ($0.90 and $0.40): they were topped up once.
    page = client.get(f"/review/batches/{worked.pk}/topup/?rate=30.00").content.decode()
    assert "2 were topped up already and are left out" in page
    assert "<strong>0</strong> of 3 approved assignments" in page  # 10 s at $30/h is $0.08
    response = client.post(
        f"/review/batches/{worked.pk}/topup/pay/", {"rate": "30.00"}, follow=True
    )
    assert "No approved assignment of this batch is owed a top-up to $30.00/h (2 topped up" in (
        response.content.decode()
    )
    # At $60.00/h the third is owed $0.07: only it is paid; the others keep their one top-up.
    client.post(f"/review/batches/{worked.pk}/topup/pay/", {"rate": "60.00"})
    assert sorted(BonusPayment.objects.values_list("worker_id", "amount")) == [
        ("ATOPUP00000001", Decimal("0.30")),
        ("ATOPUP00000002", Decimal("0.10")),
        ("ATOPUP00000003", Decimal("0.07")),
    ]
    for worker in TIMES:
        assert len(_listed(account_mturk, worker)) == 1


def test_the_daily_limit_refuses_a_top_up_past_it(worked, login, alice, carol, account_mturk):
    account = worked.requester
    account.daily_spend_limit = requester_spent_today(account) + Decimal("0.40")
    account.save(update_fields=["daily_spend_limit"])
    client = login(carol)
    assert "This would pass the daily spending limit" in (
        client.get(f"/review/batches/{worked.pk}/topup/").content.decode()
    )
    response = client.post(
        f"/review/batches/{worked.pk}/topup/pay/", {"rate": "12.00"}, follow=True
    )
    assert "daily spending limit" in response.content.decode()
    assert not BonusBatch.objects.exists() and not BonusPayment.objects.exists()
    assert _listed(account_mturk, "ATOPUP00000001") == []


def test_only_a_manager_of_the_account_tops_up(worked, login, bob, victor, charlie):
    for user in (bob, victor):
        client = login(user)
        assert client.get(f"/review/batches/{worked.pk}/topup/").status_code == 403
        assert (
            client.post(f"/review/batches/{worked.pk}/topup/pay/", {"rate": "12"}).status_code
            == 403
        )
        assert "Top up to" not in client.get(f"/batches/{worked.pk}/").content.decode()
    client = login(charlie)
    assert client.get(f"/review/batches/{worked.pk}/topup/").status_code == 404
    assert client.post(f"/review/batches/{worked.pk}/topup/pay/", {"rate": "12"}).status_code == 404
    assert not BonusPayment.objects.exists()
