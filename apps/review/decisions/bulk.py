"""Bulk review: many approvals or rejections as one Celery job with progress.

Items are split into chunks, each a task. A chunk runs `assignments_decide`, which takes every
item through the same steps as a single click (role, money checks, compare-and-set, audit) with
several MTurk calls in flight (`BULK_REVIEW_THREADS`; the account's rate limiter paces them) and
reserves the chunk's approvals together. An item's result is stored once per job, so a
redelivered chunk skips what it already did.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from apps.audit.services import audit_record
from apps.hits.models import Assignment, AssignmentStatus
from apps.mturk import fees
from apps.mturk.concurrency import Done, Watch
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require
from apps.review.decisions.services import (
    REFUSALS,
    Decision,
    DecisionOutcome,
    assignment_cost,
    assignments_decide,
    committed_hit_ids,
    feedback_clean,
    refusal_text,
)
from apps.review.models import BulkReview, BulkReviewOutcome

logger = logging.getLogger(__name__)

CHUNK = 50
REJECT_CONFIRM_COUNT = 10
REJECT_CONFIRM_SHARE = 0.20
NOT_A_MEMBER = "The person who started this job is no longer a member."
GONE = "The assignment is gone."


class ConfirmationRequired(Exception):
    """Too many rejections to do without the person saying yes to the numbers."""


@dataclass
class Progress:
    total: int
    done: int
    skipped: int
    failed: int
    status: str

    @property
    def finished(self) -> int:
        return self.done + self.skipped + self.failed

    @property
    def percent(self) -> int:
        return int(100 * self.finished / self.total) if self.total else 100


_NO_COST = fees.Cost(rewards=Decimal("0.00"), fees=Decimal("0.00"))


@dataclass(frozen=True)
class ApprovalsCost:
    """What approving a lot of assignments means for the money (see docs/security.md, "Money").

    `committed`: submitted work of HITs whose cost was counted when they were made (a launch, a
    compensation HIT): approving it pays the workers from money already committed, nothing new.
    `new`: the rest (HITs made outside the dashboard, rejections overturned): approving it spends
    `new_cost` now, checked against the day's limit. `already`: approved, nothing to do.
    """

    count: int
    committed: int
    committed_cost: fees.Cost
    new: int
    new_cost: fees.Cost
    already: int


def approvals_cost(requester, ids: list[int]) -> ApprovalsCost:
    """The money of approving the account's assignments `ids`, before anything is sent."""
    assignments = list(
        Assignment.objects.filter(requester=requester, pk__in=ids).select_related(
            "hit", "hit__hit_type"
        )
    )
    committed_hits = committed_hit_ids(assignments)
    counts = {"committed": 0, "new": 0, "already": 0}
    costs = {"committed": _NO_COST, "new": _NO_COST}
    for assignment in assignments:
        if assignment.status == AssignmentStatus.APPROVED:
            counts["already"] += 1
            continue
        kind = (
            "committed"
            if assignment.hit_id in committed_hits
            and assignment.status == AssignmentStatus.SUBMITTED
            else "new"
        )
        cost = assignment_cost(assignment)
        counts[kind] += 1
        costs[kind] = fees.Cost(
            rewards=costs[kind].rewards + cost.rewards, fees=costs[kind].fees + cost.fees
        )
    return ApprovalsCost(
        count=len(assignments),
        committed=counts["committed"],
        committed_cost=costs["committed"],
        new=counts["new"],
        new_cost=costs["new"],
        already=counts["already"],
    )


def _reject_check(requester, items: list[dict]) -> None:
    rejects = [item for item in items if item["action"] == "reject"]
    if not rejects:
        return
    hit_types = set(
        Assignment.objects.filter(
            requester=requester, pk__in=[i["id"] for i in rejects]
        ).values_list("hit__hit_type_mturk_id", flat=True)
    )
    population = Assignment.objects.filter(
        requester=requester, hit__hit_type_mturk_id__in=hit_types
    ).count()
    share = len(rejects) / population if population else 1.0
    if len(rejects) > REJECT_CONFIRM_COUNT or share > REJECT_CONFIRM_SHARE:
        raise ConfirmationRequired(
            f"This rejects {len(rejects)} assignment{'s' if len(rejects) != 1 else ''}, "
            f"{share:.0%} of the {population} submitted to these HIT types. Rejections lower the "
            "workers' approval rates and cannot be undone after 30 days. Confirm to go on."
        )


def items_clean(items: list[dict]) -> list[dict]:
    clean = []
    for item in items:
        action = item.get("action")
        if action not in {"approve", "reject"}:
            raise ValidationError(f"Unknown action {action!r}.")
        feedback = feedback_clean(item.get("feedback", ""), required=action == "reject")
        clean.append({"id": int(item["id"]), "action": action, "feedback": feedback})
    return clean


def _dispatch(job: BulkReview, actor) -> None:
    from apps.review.tasks import bulk_review_chunk_task

    counts = Counter(i["action"] for i in job.items)
    audit_record(
        actor=actor,
        requester=job.requester,
        action="review.bulk",
        target_type="bulk_review",
        target_id=job.pk,
        details={"approve": counts["approve"], "reject": counts["reject"], "source": job.source},
    )
    for start in range(0, job.total, CHUNK):
        transaction.on_commit(lambda s=start: bulk_review_chunk_task.delay(job.pk, s, s + CHUNK))


def bulk_review_apply(
    *, membership: Membership, actor, job: BulkReview, confirmed: bool = False
) -> BulkReview:
    """Start a previewed job (an uploaded review CSV)."""
    membership_require(membership, Action.REVIEW)
    if not confirmed:
        _reject_check(membership.requester, job.items)
    with transaction.atomic():
        started = BulkReview.objects.filter(pk=job.pk, status=BulkReview.Status.PREVIEW).update(
            status=BulkReview.Status.QUEUED, created_by=actor
        )
        if started:
            job.refresh_from_db()
            _dispatch(job, actor)
    return job


def bulk_review_start(
    *,
    membership: Membership,
    actor,
    items: list[dict],
    confirmed: bool = False,
    source: str = "queue",
) -> BulkReview:
    """Check the items and start the job. Raises ConfirmationRequired for large rejections."""
    membership_require(membership, Action.REVIEW)
    clean = items_clean(items)
    if not clean:
        raise ValidationError("Nothing to review: no assignment matches.")
    known = set(
        Assignment.objects.filter(
            requester=membership.requester, pk__in=[i["id"] for i in clean]
        ).values_list("pk", flat=True)
    )
    if len(known) != len({i["id"] for i in clean}):
        raise ValidationError("Some assignments are not this account's.")
    if not confirmed:
        _reject_check(membership.requester, clean)
    with transaction.atomic():
        job = BulkReview.objects.create(
            requester=membership.requester,
            created_by=actor,
            source=source,
            items=clean,
            total=len(clean),
        )
        _dispatch(job, actor)
    return job


def bulk_threads() -> int:
    return getattr(settings, "BULK_REVIEW_THREADS", 12)


def bulk_review_run_chunk(*, job_id: int, start: int, end: int) -> None:
    """Decide the chunk's items not decided yet, several MTurk calls in flight
    (`assignments_decide`), and record each item's outcome once.

    Every decision's compare-and-set claim on its assignment keeps it single however many
    threads, chunks or redelivered tasks reach it; the outcome row (unique per job and
    assignment) records it once. Stop (the job cancelled) is checked before every MTurk call.
    """
    job = _job_to_run(job_id)
    if job is None:
        return
    membership = (
        Membership.objects.filter(user=job.created_by, requester=job.requester)
        .select_related("requester")
        .first()
    )
    todo = _chunk_todo(job, start, end)
    assignments = Assignment.objects.select_related("hit", "hit__hit_type").in_bulk(
        [item["id"] for item in todo]
    )
    assignments = {pk: a for pk, a in assignments.items() if a.requester_id == job.requester_id}
    decisions = []
    for item in todo:
        assignment = assignments.get(item["id"])
        if membership is None:
            _outcome_record(job, item["id"], BulkReviewOutcome.Result.FAILED, NOT_A_MEMBER)
        elif assignment is None:
            _outcome_record(job, item["id"], BulkReviewOutcome.Result.FAILED, GONE)
        else:
            decisions.append(Decision(assignment, item["action"], item.get("feedback", "")))
    cancelled = Watch(
        lambda: BulkReview.objects.filter(pk=job.pk, status=BulkReview.Status.CANCELLED).exists()
    )
    if decisions:
        for done in assignments_decide(
            membership=membership,
            actor=job.created_by,
            decisions=decisions,
            threads=bulk_threads(),
            stop=cancelled,
        ):
            _outcome_from_done(job, done)
    if not cancelled():
        _finish_if_complete(job)


def _job_to_run(job_id: int) -> BulkReview | None:
    """The job, marked running; None when it is cancelled, finished or only previewed."""
    job = BulkReview.objects.select_related("requester", "created_by").get(pk=job_id)
    if job.status in {
        BulkReview.Status.CANCELLED,
        BulkReview.Status.FINISHED,
        BulkReview.Status.PREVIEW,
    }:
        return None
    BulkReview.objects.filter(pk=job.pk, status=BulkReview.Status.QUEUED).update(
        status=BulkReview.Status.RUNNING
    )
    return job


def _chunk_todo(job: BulkReview, start: int, end: int) -> list[dict]:
    """The chunk's items without an outcome yet (a redelivered chunk skips what it did)."""
    chunk = job.items[start:end]
    already = set(
        BulkReviewOutcome.objects.filter(
            job=job, assignment_id__in=[i["id"] for i in chunk]
        ).values_list("assignment_id", flat=True)
    )
    return [item for item in chunk if item["id"] not in already]


def _outcome_from_done(job: BulkReview, done: Done[Decision, DecisionOutcome]) -> None:
    assignment_id = done.item.assignment.pk
    if done.error is None:
        outcome = done.result
        result = BulkReviewOutcome.Result.DONE if outcome.done else BulkReviewOutcome.Result.SKIPPED
        _outcome_record(job, assignment_id, result, outcome.message)
    elif isinstance(done.error, REFUSALS):
        _outcome_record(
            job, assignment_id, BulkReviewOutcome.Result.FAILED, refusal_text(done.error)
        )
    else:
        # No outcome: a redelivered chunk tries it again.
        logger.error("bulk review %s: item %s", job.pk, assignment_id, exc_info=done.error)


def _outcome_record(job: BulkReview, assignment_id: int, result: str, message: str) -> None:
    # IntegrityError: another run of this chunk recorded it first.
    with contextlib.suppress(IntegrityError):
        BulkReviewOutcome.objects.create(
            job=job, assignment_id=assignment_id, result=result, message=message[:2000]
        )


def _finish_if_complete(job: BulkReview) -> None:
    if BulkReviewOutcome.objects.filter(job=job).count() >= job.total:
        BulkReview.objects.filter(
            pk=job.pk, status__in=[BulkReview.Status.QUEUED, BulkReview.Status.RUNNING]
        ).update(status=BulkReview.Status.FINISHED, finished_at=timezone.now())


def bulk_review_progress(job: BulkReview) -> Progress:
    counts = dict(
        BulkReviewOutcome.objects.filter(job=job).values_list("result").annotate(n=Count("id"))
    )
    job.refresh_from_db(fields=["status"])
    return Progress(
        total=job.total,
        done=counts.get("done", 0),
        skipped=counts.get("skipped", 0),
        failed=counts.get("failed", 0),
        status=job.status,
    )


def bulk_review_cancel(*, membership: Membership, job: BulkReview, actor) -> bool:
    membership_require(membership, Action.REVIEW)
    cancelled = BulkReview.objects.filter(
        pk=job.pk, status__in=[BulkReview.Status.QUEUED, BulkReview.Status.RUNNING]
    ).update(status=BulkReview.Status.CANCELLED, finished_at=timezone.now())
    if cancelled:
        audit_record(
            actor=actor,
            requester=job.requester,
            action="review.bulk.cancel",
            target_type="bulk_review",
            target_id=job.pk,
        )
    return bool(cancelled)
