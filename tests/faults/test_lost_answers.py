"""A decision whose answer MTurk lost: botocore repeats the call, MTurk refuses it as already
done, and that refusal must read as our own success (paid once, audited once), not as someone
else's decision."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.hits.models import Assignment
from apps.requesters.models import Membership
from apps.review.decisions import services
from apps.sync.services import requester_sync
from tests.helpers import create_hit, work

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def submitted(local_account, account_mturk, emulator):
    hit = create_hit(account_mturk)
    assignment_id, _ = work(emulator, hit["HITId"])
    requester_sync(requester=local_account)
    return Assignment.objects.get(mturk_id=assignment_id)


def _balance(client) -> Decimal:
    return Decimal(client.get_account_balance()["AvailableBalance"])


def test_an_approval_whose_answer_was_lost_is_done_paid_once_and_audited_once(
    alice, local_account, account_mturk, emulator, submitted
):
    before = _balance(account_mturk)
    emulator.faults(lost_response_rate=1.0, operations=["ApproveAssignment"])

    outcome = services.assignment_approve(
        membership=Membership.objects.get(user=alice), assignment=submitted, actor=alice
    )

    emulator.clear_faults()
    assert outcome.done, outcome.message
    assert outcome.assignment.status == "Approved" and outcome.assignment.decision == ""
    paid = before - _balance(account_mturk)
    assert paid == Decimal("0.60")
    ledger = AuditEvent.objects.filter(target_id=submitted.mturk_id)
    assert list(ledger.values_list("action", flat=True)) == ["assignment.approve"]
    assert sum(e.amount + e.fee for e in ledger) == paid


def test_a_rejection_whose_answer_was_lost_is_done_and_audited(
    alice, local_account, account_mturk, emulator, submitted
):
    emulator.faults(lost_response_rate=1.0, operations=["RejectAssignment"])

    outcome = services.assignment_reject(
        membership=Membership.objects.get(user=alice),
        assignment=submitted,
        actor=alice,
        feedback="The answer is empty.",
    )

    emulator.clear_faults()
    assert outcome.done, outcome.message
    assert Assignment.objects.get(pk=submitted.pk).status == "Rejected"
    assert list(
        AuditEvent.objects.filter(target_id=submitted.mturk_id).values_list("action", flat=True)
    ) == ["assignment.reject"]
