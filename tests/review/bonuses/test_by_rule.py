"""Bonuses by rule over a batch: priced before paying (fees, balance, limits), paid once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.hits.models import Assignment
from apps.requesters.models import Membership
from apps.review.decisions import services
from apps.review.models import BonusBatch, BonusPayment

pytestmark = pytest.mark.django_db(transaction=True)


def _approve_all(carol):
    membership = Membership.objects.select_related("requester").get(user=carol)
    for assignment in Assignment.objects.select_related("hit__hit_type"):
        assert services.assignment_approve(
            membership=membership, assignment=assignment, actor=carol
        ).done


def _balance(account_mturk) -> Decimal:
    return Decimal(account_mturk.get_account_balance()["AvailableBalance"])


def test_a_bonus_per_gold_answer_right_is_previewed_then_paid_once(
    gold_batch, carol, login, account_mturk
):
    _approve_all(carol)
    client = login(carol)
    response = client.post(
        f"/review/batches/{gold_batch.batch.pk}/bonuses/",
        {"mode": "per_gold_right", "amount": "0.10", "reason": "Right on the check questions"},
    )
    bonus_batch = BonusBatch.objects.get()
    assert response["Location"] == f"/review/bonuses/{bonus_batch.pk}/"
    # Careful: 2 right on row 0, 1 on rows 1 and 3; careless: 1 on row 1.
    amounts = sorted((r["worker_id"], r["amount"]) for r in bonus_batch.rows)
    assert amounts == sorted(
        [
            (gold_batch.careful, "0.20"),
            (gold_batch.careful, "0.10"),
            (gold_batch.careful, "0.10"),
            (gold_batch.careless, "0.10"),
        ]
    )
    before = _balance(account_mturk)
    page = client.get(response["Location"]).content.decode()
    # $0.50 of bonuses, 20% fee ($0.04 + 3 x $0.02), against the balance.
    assert "$0.50" in page and "$0.10" in page and "<strong>$0.60</strong>" in page
    assert f"${before:,.2f}" in page
    assert "By rule: $0.10 per gold answer right" in page

    client.post(f"/review/bonuses/{bonus_batch.pk}/pay/")
    client.post(f"/review/bonuses/{bonus_batch.pk}/pay/")  # a second click

    assert BonusPayment.objects.filter(status="sent").count() == 4
    assert before - _balance(account_mturk) == Decimal("0.60")
    for row in bonus_batch.rows:
        listed = account_mturk.list_bonus_payments(AssignmentId=row["assignment_id"])
        assert [p["BonusAmount"] for p in listed["BonusPayments"]] == [row["amount"]]


def test_a_fixed_bonus_per_approved_assignment_prices_every_one(gold_batch, carol, login):
    _approve_all(carol)
    client = login(carol)
    response = client.post(
        f"/review/batches/{gold_batch.batch.pk}/bonuses/",
        {"mode": "per_approved", "amount": "0.05", "reason": "Thanks"},
        follow=True,
    )
    page = response.content.decode()
    assert len(BonusBatch.objects.get().rows) == 8
    assert "$0.40" in page and "$0.08" in page and "<strong>$0.48</strong>" in page


def test_nothing_is_made_without_approved_work_or_with_a_bad_amount(gold_batch, carol, login):
    client = login(carol)
    url = f"/review/batches/{gold_batch.batch.pk}/bonuses/"
    page = client.post(
        url, {"mode": "per_approved", "amount": "0.05", "reason": "Thanks"}, follow=True
    ).content.decode()
    assert "No approved assignment in this batch yet." in page
    page = client.post(
        url, {"mode": "per_approved", "amount": "-1", "reason": "Thanks"}, follow=True
    ).content.decode()
    assert "A bonus is a positive amount in dollars and cents." in page
    assert not BonusBatch.objects.exists()
