"""Bonuses against a real local MTurk: exactly once, with the money right."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.mturk.errors import MTurkError
from apps.requesters.services import SpendingRefused
from apps.review.bonuses import services
from apps.review.models import BonusPayment
from tests.review.conftest import ledger as _ledger
from tests.review.conftest import membership_of as _membership
from tests.review.conftest import mturk_balance as _balance

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_bonus_is_paid_once_when_its_response_is_lost(
    bob, submitted, account_mturk, emulator, local_account
):
    before = _balance(account_mturk)
    emulator.faults(lost_response_rate=1.0, operations=["SendBonus"])
    payment = services.bonus_send(
        membership=_membership(bob),
        actor=bob,
        worker_id=submitted.worker_id,
        assignment_mturk_id=submitted.mturk_id,
        amount="1.00",
        reason="Great work",
    )
    assert payment.status == "sent"
    assert before - _balance(account_mturk) == Decimal("1.20")
    emulator.clear_faults()
    listed = account_mturk.list_bonus_payments(AssignmentId=submitted.mturk_id)["BonusPayments"]
    assert len(listed) == 1
    assert _ledger(local_account) == Decimal("1.20")


def test_the_same_token_pays_once(bob, submitted, account_mturk):
    before = _balance(account_mturk)
    kwargs = {
        "membership": _membership(bob),
        "actor": bob,
        "worker_id": submitted.worker_id,
        "assignment_mturk_id": submitted.mturk_id,
        "amount": "0.25",
        "reason": "Bonus",
        "token": "bonus-batch-1-row-7",
    }
    first = services.bonus_send(**kwargs)
    second = services.bonus_send(**kwargs)
    assert first.pk == second.pk
    assert BonusPayment.objects.count() == 1
    assert before - _balance(account_mturk) == Decimal("0.30")


def test_a_pending_payment_left_by_a_crash_is_delivered_once(
    bob, submitted, account_mturk, local_account
):
    # The worker died after SendBonus reached MTurk and before it recorded the answer.
    payment = BonusPayment.objects.create(
        requester=local_account,
        worker_id=submitted.worker_id,
        assignment_mturk_id=submitted.mturk_id,
        amount=Decimal("0.40"),
        reason="Crash test",
        unique_request_token="bonus-crash-1",
    )
    account_mturk.send_bonus(
        WorkerId=submitted.worker_id,
        BonusAmount="0.40",
        AssignmentId=submitted.mturk_id,
        Reason="Crash test",
        UniqueRequestToken="bonus-crash-1",
    )
    before = _balance(account_mturk)
    assert services.bonuses_retry_pending(requester=local_account) == 1
    payment.refresh_from_db()
    assert payment.status == "sent"
    assert _balance(account_mturk) == before


def test_a_reviewer_cannot_pass_the_cap(bob, submitted, local_account):
    with pytest.raises(SpendingRefused):
        services.bonus_send(
            membership=_membership(bob),
            actor=bob,
            worker_id=submitted.worker_id,
            assignment_mturk_id=submitted.mturk_id,
            amount=local_account.bonus_cap + Decimal("0.01"),
            reason="Too much",
        )
    assert not BonusPayment.objects.exists()


def test_a_refused_bonus_is_failed_and_its_reservation_undone(bob, submitted, local_account):
    with pytest.raises(MTurkError):
        services.bonus_send(
            membership=_membership(bob),
            actor=bob,
            worker_id="ANOTHERWORKER123",
            assignment_mturk_id=submitted.mturk_id,
            amount="1.00",
            reason="Wrong worker",
        )
    assert BonusPayment.objects.get().status == "failed"
    assert _ledger(local_account) == Decimal("0")


@pytest.mark.parametrize("amount", ["0", "-1", "1.001", "abc"])
def test_bonus_amounts_are_checked(bob, submitted, amount):
    with pytest.raises(ValidationError):
        services.bonus_send(
            membership=_membership(bob),
            actor=bob,
            worker_id=submitted.worker_id,
            assignment_mturk_id=submitted.mturk_id,
            amount=amount,
            reason="x",
        )
