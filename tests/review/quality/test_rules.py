"""Automatic review rules: they decide through the local MTurk, once, audited with the rule's id;
reject rules follow the bulk-reject confirmation; suggestions show without any rule."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.models import AuditEvent
from apps.hits.models import Assignment
from apps.requesters.models import Membership
from apps.review import tasks
from apps.review.decisions.bulk import ConfirmationRequired
from apps.review.models import AutoReviewRule
from apps.review.quality import rules

pytestmark = pytest.mark.django_db(transaction=True)


def _membership(user):
    return Membership.objects.select_related("requester").get(user=user)


def _calls(emulator, account, operation: str) -> int:
    return emulator.stats()["customers"].get(account.access_key_id, {}).get(operation, 0)


def _status_at_mturk(account_mturk, assignment_id: str) -> str:
    return account_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"][
        "AssignmentStatus"
    ]


def test_a_gold_rule_approves_through_mturk_once_with_an_audit_event_naming_it(
    gold_batch, carol, local_account, account_mturk, emulator
):
    rule = rules.rule_create(
        membership=_membership(carol),
        actor=carol,
        batch=gold_batch.batch,
        kind=AutoReviewRule.Kind.APPROVE_GOLD,
        threshold=75,
        min_gold=2,
    )

    tasks.auto_review_rules_task()
    tasks.auto_review_rules_task()  # the next beat: nothing is decided twice

    careful = [gold_batch.assignments[(gold_batch.careful, i)] for i in range(4)]
    careless = [gold_batch.assignments[(gold_batch.careless, i)] for i in range(4)]
    assert all(_status_at_mturk(account_mturk, a) == "Approved" for a in careful)
    assert all(_status_at_mturk(account_mturk, a) == "Submitted" for a in careless)
    assert _calls(emulator, local_account, "ApproveAssignment") == 4
    events = AuditEvent.objects.filter(action="assignment.approve")
    assert sorted(e.target_id for e in events) == sorted(careful)
    assert all(e.details["rule"] == rule.pk and e.actor == carol for e in events)
    rule.refresh_from_db()
    assert rule.approved == 4 and rule.last_run_at is not None and rule.last_error == ""


def test_a_confirmed_reject_rule_rejects_with_its_feedback(
    gold_batch, carol, local_account, account_mturk, emulator
):
    membership = _membership(carol)
    kwargs = {
        "membership": membership,
        "actor": carol,
        "batch": gold_batch.batch,
        "kind": AutoReviewRule.Kind.REJECT_GOLD,
        "threshold": 50,
        "min_gold": 2,
        "feedback": "Most of the check questions were wrong.",
    }
    # 4 of the batch's 8 assignments: past the bulk-reject share, so the numbers are shown first.
    with pytest.raises(ConfirmationRequired, match="rejects 4 assignments now, 50% of the 8"):
        rules.rule_create(**kwargs)
    assert not AutoReviewRule.objects.exists()
    rule = rules.rule_create(**kwargs, confirmed=True)
    assert rule.confirmed

    tasks.auto_review_rules_task()
    tasks.auto_review_rules_task()

    careless = [gold_batch.assignments[(gold_batch.careless, i)] for i in range(4)]
    for assignment_id in careless:
        got = account_mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
        assert got["AssignmentStatus"] == "Rejected"
        assert got["RequesterFeedback"] == "Most of the check questions were wrong."
    assert _calls(emulator, local_account, "RejectAssignment") == 4
    events = AuditEvent.objects.filter(action="assignment.reject")
    assert events.count() == 4 and {e.details["rule"] for e in events} == {rule.pk}
    assert Assignment.objects.filter(worker_id=gold_batch.careful, status="Submitted").count() == 4


def test_an_unconfirmed_reject_rule_rejects_at_most_the_maximum_per_run(
    gold_batch, carol, local_account, emulator, settings
):
    settings.REVIEW_AUTO_REJECT_MAX_PER_RUN = 3
    rule = AutoReviewRule.objects.create(
        requester=local_account,
        batch=gold_batch.batch,
        kind=AutoReviewRule.Kind.REJECT_GOLD,
        threshold=50,
        min_gold=1,
        feedback="Wrong answers to the check questions.",
        created_by=carol,
    )
    first = rules.rule_run(rule)
    assert first.rejected == 3
    second = rules.rule_run(rule)
    assert (second.rejected, second.failed) == (1, 0)
    assert _calls(emulator, local_account, "RejectAssignment") == 4


def test_reject_rules_need_clean_feedback_and_a_project_with_gold(gold_batch, carol, bob):
    membership = _membership(carol)
    base = {
        "membership": membership,
        "actor": carol,
        "batch": gold_batch.batch,
        "kind": AutoReviewRule.Kind.REJECT_GOLD,
        "threshold": 50,
        "min_gold": 2,
        "confirmed": True,
    }
    for bad in ("", "x" * 1025, "bell\x07"):
        with pytest.raises(ValidationError):
            rules.rule_create(**base, feedback=bad)
    with pytest.raises(ValidationError):
        rules.rule_create(**{**base, "threshold": 101}, feedback="Wrong")
    with pytest.raises(PermissionDenied):
        rules.rule_create(**{**base, "membership": _membership(bob)}, feedback="Wrong")
    assert not AutoReviewRule.objects.exists()


def test_approve_after_days_counts_from_the_emulator_clock(
    gold_batch, carol, local_account, account_mturk, emulator
):
    rule = rules.rule_create(
        membership=_membership(carol),
        actor=carol,
        batch=gold_batch.batch,
        kind=AutoReviewRule.Kind.APPROVE_AFTER_DAYS,
        days=2,
    )
    assert rules.rule_run(rule, now=emulator.now()).approved == 0
    emulator.advance(2 * 86400 + 60)  # auto-approval is 7 days away: still Submitted at MTurk

    result = rules.rule_run(rule, now=emulator.now())

    assert result.approved == 8
    assert Assignment.objects.filter(status="Approved").count() == 8
    assert rules.rule_run(rule, now=emulator.now()).approved == 0
    assert _calls(emulator, local_account, "ApproveAssignment") == 8


def test_suggestions_show_without_any_rule(gold_batch, login, victor):
    page = login(victor).get(f"/review/batches/{gold_batch.batch.pk}/").content.decode()
    assert "With gold ≥ 80%: <strong>4</strong> would be approved" in page
    assert "below 50%: <strong>4</strong> would be rejected" in page
    assert "Add the rule" not in page  # a viewer sees the numbers, not the form


def test_a_manager_adds_and_turns_off_a_rule_from_the_batch_page(gold_batch, login, carol):
    client = login(carol)
    url = f"/review/batches/{gold_batch.batch.pk}/rules/"
    section = client.post(
        url,
        {"kind": "approve_gold_at_least", "threshold": "80", "min_gold": "3"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'id="batch-review"' in section
    assert "Rule added: Approve when gold accuracy ≥ 80% (at least 3 gold answers)" in section
    rule = AutoReviewRule.objects.get()
    assert rule.created_by == carol and rule.enabled

    confirm = client.post(
        url,
        {"kind": "reject_gold_below", "threshold": "50", "min_gold": "1", "feedback": "Wrong"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Yes, reject without a limit" in confirm and AutoReviewRule.objects.count() == 1
    client.post(
        url,
        {
            "kind": "reject_gold_below",
            "threshold": "50",
            "min_gold": "1",
            "feedback": "Wrong",
            "confirmed": "1",
        },
        HTTP_HX_REQUEST="true",
    )
    assert AutoReviewRule.objects.get(kind="reject_gold_below").confirmed

    client.post(f"/review/rules/{rule.pk}/toggle/")
    rule.refresh_from_db()
    assert not rule.enabled
    assert AuditEvent.objects.filter(action="review.rule.disable", details__rule=rule.pk).exists()
    tasks.auto_review_rules_task()
    assert not Assignment.objects.filter(status="Approved").exists()


def test_an_assignment_mturk_already_decided_is_skipped_not_failed(
    gold_batch, carol, local_account, account_mturk, emulator
):
    rule = rules.rule_create(
        membership=_membership(carol),
        actor=carol,
        batch=gold_batch.batch,
        kind=AutoReviewRule.Kind.APPROVE_GOLD,
        threshold=75,
        min_gold=2,
    )
    decided = gold_batch.assignments[(gold_batch.careful, 1)]
    account_mturk.approve_assignment(AssignmentId=decided)  # elsewhere; the mirror has not seen it

    result = rules.rule_run(rule)

    assert (result.approved, result.skipped, result.failed) == (3, 1, 0)
    assert Assignment.objects.get(mturk_id=decided).status == "Approved"
    # Its money reservation was undone: our ledger does not count it as paid either.
    assert sum(e.amount for e in AuditEvent.objects.filter(target_id=decided)) == 0
