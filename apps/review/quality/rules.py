"""Automatic review of a batch: rules that approve or reject submitted assignments by themselves,
and the suggestions shown on the batch page before any rule exists.

A rule runs (beat task `review-auto-rules`) through `assignment_approve` / `assignment_reject`,
as the person who made it: their role is checked at every run, money goes through the same
limits, each decision is a compare-and-set (an assignment is decided once, whatever runs twice),
and each audit event names the rule (`details["rule"]`).

Reject rules follow the bulk-reject confirmation: a rule whose rejections passed those thresholds
when it was made needs its author's confirmation of the numbers (`confirmed`); an unconfirmed
rule rejects at most `REVIEW_AUTO_REJECT_MAX_PER_RUN` assignments per run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils import timezone

from apps.audit.services import audit_record
from apps.batches.models import Batch
from apps.hits.models import Assignment, AssignmentStatus
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require
from apps.review.decisions.bulk import (
    REJECT_CONFIRM_COUNT,
    REJECT_CONFIRM_SHARE,
    ConfirmationRequired,
)
from apps.review.decisions.services import (
    REFUSALS,
    assignment_approve,
    assignment_reject,
    feedback_clean,
    refusal_text,
)
from apps.review.models import AutoReviewRule
from apps.review.quality import gold as gold_service

logger = logging.getLogger(__name__)

MAX_DAYS = 365
SUGGEST_APPROVE_AT = 80
SUGGEST_REJECT_BELOW = 50


def reject_max_per_run() -> int:
    return getattr(settings, "REVIEW_AUTO_REJECT_MAX_PER_RUN", REJECT_CONFIRM_COUNT)


def submitted_of_batch(batch: Batch) -> list[Assignment]:
    return list(
        gold_service.batch_assignments(batch)
        .filter(status=AssignmentStatus.SUBMITTED)
        .select_related("hit", "hit__hit_type")
        .order_by("submit_time", "pk")
    )


def _gold_match(kind: str, threshold: int, min_gold: int, score) -> bool:
    if score is None or score.total < max(min_gold, 1):
        return False
    percent = 100 * score.right / score.total
    if kind == AutoReviewRule.Kind.APPROVE_GOLD:
        return percent >= threshold
    return percent < threshold


def rule_matches(
    rule: AutoReviewRule,
    submitted: list[Assignment],
    gold: dict[str, gold_service.GoldScore],
    now: datetime,
) -> list[Assignment]:
    """The submitted assignments the rule decides now."""
    if rule.kind == AutoReviewRule.Kind.APPROVE_AFTER_DAYS:
        cutoff = now - timedelta(days=rule.days or 0)
        return [a for a in submitted if a.submit_time and a.submit_time < cutoff]
    return [
        a
        for a in submitted
        if _gold_match(rule.kind, rule.threshold or 0, rule.min_gold, gold.get(a.worker_id))
    ]


@dataclass
class Suggestions:
    submitted: int
    has_gold: bool
    gold_approve: int
    gold_reject: int
    agreement_approve: int
    agreement_reject: int
    approve_at: int = SUGGEST_APPROVE_AT
    reject_below: int = SUGGEST_REJECT_BELOW


def batch_suggestions(batch: Batch) -> Suggestions:
    """What gold-accuracy and agreement rules would do to the batch's submitted work now."""
    submitted = submitted_of_batch(batch)
    has_gold = bool(batch.project.gold_fields)
    gold = gold_service.batch_gold_accuracy(batch) if has_gold else {}
    approve, reject = AutoReviewRule.Kind.APPROVE_GOLD, AutoReviewRule.Kind.REJECT_GOLD
    with_agreement = [a.agreement for a in submitted if a.agreement is not None]
    return Suggestions(
        submitted=len(submitted),
        has_gold=has_gold,
        gold_approve=sum(
            _gold_match(approve, SUGGEST_APPROVE_AT, 1, gold.get(a.worker_id)) for a in submitted
        ),
        gold_reject=sum(
            _gold_match(reject, SUGGEST_REJECT_BELOW, 1, gold.get(a.worker_id)) for a in submitted
        ),
        agreement_approve=sum(v * 100 >= SUGGEST_APPROVE_AT for v in with_agreement),
        agreement_reject=sum(v * 100 < SUGGEST_REJECT_BELOW for v in with_agreement),
    )


def _rule_clean(kind: str, threshold, min_gold, days, feedback: str) -> dict:
    if kind not in AutoReviewRule.Kind.values:
        raise ValidationError(f"Unknown rule {kind!r}.")
    if kind == AutoReviewRule.Kind.APPROVE_AFTER_DAYS:
        if days is None or not 1 <= int(days) <= MAX_DAYS:
            raise ValidationError(f"Give a number of days from 1 to {MAX_DAYS}.")
        return {"days": int(days), "threshold": None, "min_gold": 1, "feedback": ""}
    if threshold is None or not 0 <= int(threshold) <= 100:
        raise ValidationError("Give an accuracy from 0 to 100 %.")
    if min_gold is None or int(min_gold) < 1:
        raise ValidationError("A worker needs at least one gold answer to be judged.")
    required = kind == AutoReviewRule.Kind.REJECT_GOLD
    return {
        "threshold": int(threshold),
        "min_gold": int(min_gold),
        "days": None,
        "feedback": feedback_clean(feedback, required=required),
    }


def rule_create(
    *,
    membership: Membership,
    actor,
    batch: Batch,
    kind: str,
    threshold: int | None = None,
    min_gold: int | None = 1,
    days: int | None = None,
    feedback: str = "",
    confirmed: bool = False,
) -> AutoReviewRule:
    """Add a rule to a batch. A reject rule that would now reject more than the bulk-reject
    thresholds raises ConfirmationRequired with the numbers, until `confirmed`."""
    membership_require(membership, Action.LAUNCH)
    if batch.requester_id != membership.requester_id:
        raise PermissionDenied("This batch belongs to another account.")
    fields = _rule_clean(kind, threshold, min_gold, days, feedback)
    if kind != AutoReviewRule.Kind.APPROVE_AFTER_DAYS and not batch.project.gold_fields:
        raise ValidationError("The project names no gold fields: there is nothing to judge.")
    if kind == AutoReviewRule.Kind.REJECT_GOLD:
        probe = AutoReviewRule(batch=batch, kind=kind, **fields)
        would = rule_matches(
            probe,
            submitted_of_batch(batch),
            gold_service.batch_gold_accuracy(batch),
            timezone.now(),
        )
        population = gold_service.batch_assignments(batch).count()
        share = len(would) / population if population else 0.0
        large = len(would) > REJECT_CONFIRM_COUNT or share > REJECT_CONFIRM_SHARE
        if large and not confirmed:
            raise ConfirmationRequired(
                f"This rule rejects {len(would)} assignment{'s' if len(would) != 1 else ''} now, "
                f"{share:.0%} of the {population} in this batch, and more as work arrives. "
                "Rejections lower the workers' approval rates and cannot be undone after 30 days. "
                f"Confirm to let it reject without a limit; otherwise it rejects at most "
                f"{reject_max_per_run()} per run."
            )
        fields["confirmed"] = bool(confirmed and large)
    rule = AutoReviewRule.objects.create(
        requester=batch.requester, batch=batch, kind=kind, created_by=actor, **fields
    )
    audit_record(
        actor=actor,
        requester=batch.requester,
        action="review.rule.create",
        target_type="batch",
        target_id=batch.pk,
        details={"rule": rule.pk, "rule_text": rule.describe(), "confirmed": rule.confirmed},
    )
    return rule


def rule_set_enabled(
    *, membership: Membership, actor, rule: AutoReviewRule, enabled: bool
) -> AutoReviewRule:
    membership_require(membership, Action.LAUNCH)
    if AutoReviewRule.objects.filter(pk=rule.pk).exclude(enabled=enabled).update(enabled=enabled):
        audit_record(
            actor=actor,
            requester=rule.requester,
            action="review.rule.enable" if enabled else "review.rule.disable",
            target_type="batch",
            target_id=rule.batch_id,
            details={"rule": rule.pk},
        )
    rule.refresh_from_db()
    return rule


def rule_delete(*, membership: Membership, actor, rule: AutoReviewRule) -> None:
    membership_require(membership, Action.LAUNCH)
    deleted, _ = AutoReviewRule.objects.filter(pk=rule.pk).delete()
    if deleted:
        audit_record(
            actor=actor,
            requester=rule.requester,
            action="review.rule.delete",
            target_type="batch",
            target_id=rule.batch_id,
            details={"rule": rule.pk, "rule_text": rule.describe()},
        )


@dataclass
class RunResult:
    approved: int = 0
    rejected: int = 0
    skipped: int = 0
    failed: int = 0
    error: str = ""


def rule_run(rule: AutoReviewRule, *, now: datetime | None = None) -> RunResult:
    """Apply one rule to its batch's submitted assignments, as the rule's author.

    `now` is the moment "n days ago" counts from (tests pass the local MTurk's clock).
    """
    now = now or timezone.now()
    result = RunResult()
    membership = _rule_author(rule)
    if membership is None:
        result.error = "The person who made this rule is no longer a member of the account."
    else:
        for assignment in _rule_chosen(rule, now):
            _rule_decide(rule, membership, assignment, result)
    AutoReviewRule.objects.filter(pk=rule.pk).update(
        last_run_at=timezone.now(),
        approved=F("approved") + result.approved,
        rejected=F("rejected") + result.rejected,
        last_error=result.error,
    )
    return result


def _rule_author(rule: AutoReviewRule) -> Membership | None:
    if not rule.created_by_id:
        return None
    return (
        Membership.objects.filter(user=rule.created_by, requester_id=rule.requester_id)
        .select_related("requester")
        .first()
    )


def _rule_chosen(rule: AutoReviewRule, now: datetime) -> list[Assignment]:
    """The submitted assignments the rule decides in this run: an unconfirmed reject rule takes
    at most `reject_max_per_run()`."""
    gold = (
        gold_service.gold_refresh(rule.batch)
        if rule.kind != AutoReviewRule.Kind.APPROVE_AFTER_DAYS
        else {}
    )
    chosen = rule_matches(rule, submitted_of_batch(rule.batch), gold, now)
    if rule.kind == AutoReviewRule.Kind.REJECT_GOLD and not rule.confirmed:
        chosen = chosen[: reject_max_per_run()]
    return chosen


def _rule_decide(
    rule: AutoReviewRule, membership: Membership, assignment: Assignment, result: RunResult
) -> None:
    """One decision of the rule, counted in `result`; its audit event names the rule."""
    reject = rule.kind == AutoReviewRule.Kind.REJECT_GOLD
    audit_extra = {"rule": rule.pk, "rule_text": rule.describe()}
    try:
        if reject:
            outcome = assignment_reject(
                membership=membership,
                assignment=assignment,
                actor=rule.created_by,
                feedback=rule.feedback,
                audit_extra=audit_extra,
            )
        else:
            outcome = assignment_approve(
                membership=membership,
                assignment=assignment,
                actor=rule.created_by,
                audit_extra=audit_extra,
            )
    except REFUSALS as exc:
        result.failed += 1
        result.error = refusal_text(exc)[:2000]
        return
    if not outcome.done:
        result.skipped += 1
    elif reject:
        result.rejected += 1
    else:
        result.approved += 1


def rules_run_all(*, now: datetime | None = None) -> dict[int, RunResult]:
    """Run every enabled rule once; one rule's trouble does not stop the others."""
    results = {}
    rules = AutoReviewRule.objects.filter(enabled=True).select_related(
        "batch", "batch__project", "requester", "created_by"
    )
    for rule in rules:
        try:
            results[rule.pk] = rule_run(rule, now=now)
        except Exception as exc:  # a database or MTurk outage: kept on the rule, shown on the page
            logger.exception("auto-review rule %s failed", rule.pk)
            AutoReviewRule.objects.filter(pk=rule.pk).update(
                last_run_at=timezone.now(), last_error=f"The run stopped: {exc}"[:2000]
            )
    return results
