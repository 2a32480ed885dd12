"""Approve and reject against a real local MTurk: exactly once, with the money right."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.hits.models import Assignment
from apps.review.decisions import services
from tests.review.conftest import ledger as _ledger
from tests.review.conftest import membership_of as _membership
from tests.review.conftest import mturk_balance as _balance

pytestmark = pytest.mark.django_db(transaction=True)


def test_approving_pays_reward_and_fee_once(bob, submitted, account_mturk, emulator, local_account):
    before = _balance(account_mturk)
    outcome = services.assignment_approve(
        membership=_membership(bob), assignment=submitted, actor=bob, feedback="Thanks!"
    )
    assert outcome.done and outcome.assignment.status == "Approved"
    assert outcome.assignment.requester_feedback == "Thanks!"
    again = services.assignment_approve(
        membership=_membership(bob), assignment=submitted, actor=bob
    )
    assert not again.done and "Already Approved" in again.message
    assert before - _balance(account_mturk) == Decimal("0.60")  # 0.50 + 20%
    assert _ledger(local_account) == Decimal("0.60")
    assert emulator.stats()["customers"][local_account.access_key_id]["ApproveAssignment"] == 1


def test_an_assignment_mturk_approved_on_its_own_is_reported_not_an_error(
    bob, submitted, account_mturk, local_account
):
    account_mturk.approve_assignment(AssignmentId=submitted.mturk_id)  # as auto-approval would
    outcome = services.assignment_approve(
        membership=_membership(bob), assignment=submitted, actor=bob
    )
    assert not outcome.done
    assert "Approved already" in outcome.message
    assert Assignment.objects.get(pk=submitted.pk).status == "Approved"
    assert Assignment.objects.get(pk=submitted.pk).decision == ""
    assert _ledger(local_account) == Decimal("0")  # the reservation was undone


def test_rejecting_needs_clean_feedback(bob, submitted):
    membership = _membership(bob)
    for bad in ("", "   ", "x" * 1025, "bad\x07bell"):
        with pytest.raises(ValidationError):
            services.assignment_reject(
                membership=membership, assignment=submitted, actor=bob, feedback=bad
            )
    outcome = services.assignment_reject(
        membership=membership, assignment=submitted, actor=bob, feedback="Blank answer"
    )
    assert outcome.done and outcome.assignment.status == "Rejected"


def test_a_rejection_can_be_overturned(bob, submitted, account_mturk):
    membership = _membership(bob)
    services.assignment_reject(
        membership=membership, assignment=submitted, actor=bob, feedback="Wrong"
    )
    rejected = Assignment.objects.select_related("hit__hit_type").get(pk=submitted.pk)
    before = _balance(account_mturk)
    outcome = services.assignment_approve(
        membership=membership, assignment=rejected, actor=bob, feedback="Sorry"
    )
    assert outcome.done and outcome.assignment.status == "Approved"
    assert before - _balance(account_mturk) == Decimal("0.60")


def test_a_viewer_cannot_decide(victor, submitted):
    with pytest.raises(PermissionDenied):
        services.assignment_approve(
            membership=_membership(victor), assignment=submitted, actor=victor
        )
