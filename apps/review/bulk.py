"""Bulk review: many approvals or rejections as one Celery job with progress.

Items are split into chunks, each a task; every item goes through the same services as a single
click (`assignment_approve`, `assignment_reject`), so the role, the money checks, the
compare-and-set and the audit hold for each. An item's result is stored once per job, so a
redelivered chunk skips what it already did.

A chunk keeps several MTurk calls in flight (`BULK_REVIEW_THREADS` threads; the account's rate
limiter paces them). Its approvals of submitted assignments are first reserved together
(`approvals_reserve`: claimed, and their money checked and recorded, under one lock of the
account instead of one lock per approval, which would make every approval of the account wait
in line); a reserved approval that is not sent is given back (`approval_unreserve`).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from apps.audit.services import audit_record
from apps.hits.models import Assignment, AssignmentStatus
from apps.mturk.errors import MTurkError
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require
from apps.review.models import BulkReview, BulkReviewOutcome
from apps.review.services import (
    approval_unreserve,
    approvals_reserve,
    assignment_approve,
    assignment_reject,
    feedback_clean,
)
from apps.workers.sync import workers_refresh

logger = logging.getLogger(__name__)

CHUNK = 50
REJECT_CONFIRM_COUNT = 10
REJECT_CONFIRM_SHARE = 0.20


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
    from apps.review.tasks import bulk_review_chunk

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
        transaction.on_commit(lambda s=start: bulk_review_chunk.delay(job.pk, s, s + CHUNK))


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


class _CancelWatch:
    """Re-reads the job's status at most every half second, for all the chunk's threads."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self._cancelled = False
        self._read_at = 0.0
        self._lock = threading.Lock()

    def cancelled(self) -> bool:
        with self._lock:
            if not self._cancelled and time.monotonic() - self._read_at > 0.5:
                self._cancelled = BulkReview.objects.filter(
                    pk=self.job_id, status=BulkReview.Status.CANCELLED
                ).exists()
                self._read_at = time.monotonic()
            return self._cancelled


def bulk_review_run_chunk(*, job_id: int, start: int, end: int) -> None:
    """Decide the chunk's items not decided yet, several MTurk calls in flight.

    Each item goes through `assignment_approve` / `assignment_reject`, whose compare-and-set
    claim on the assignment keeps every decision single however many threads, chunks or
    redelivered tasks reach it; the outcome row (unique per job and assignment) records it once.
    """
    job = BulkReview.objects.select_related("requester", "created_by").get(pk=job_id)
    if job.status in {
        BulkReview.Status.CANCELLED,
        BulkReview.Status.FINISHED,
        BulkReview.Status.PREVIEW,
    }:
        return
    BulkReview.objects.filter(pk=job.pk, status=BulkReview.Status.QUEUED).update(
        status=BulkReview.Status.RUNNING
    )
    membership = (
        Membership.objects.filter(user=job.created_by, requester=job.requester)
        .select_related("requester")
        .first()
    )
    chunk = job.items[start:end]
    already = set(
        BulkReviewOutcome.objects.filter(
            job=job, assignment_id__in=[i["id"] for i in chunk]
        ).values_list("assignment_id", flat=True)
    )
    todo = [item for item in chunk if item["id"] not in already]
    assignments = Assignment.objects.select_related("hit", "hit__hit_type").in_bulk(
        [i["id"] for i in todo]
    )
    assignments = {pk: a for pk, a in assignments.items() if a.requester_id == job.requester_id}
    watch = _CancelWatch(job.pk)
    reserved = _reserve(membership, job, todo, assignments) if not watch.cancelled() else set()
    sent: set[int] = set()
    work: queue.Queue[dict] = queue.Queue()
    for item in todo:
        work.put(item)

    def one(item: dict) -> None:
        assignment = assignments.get(item["id"])
        sent.add(item["id"])
        result, message = _review_one(
            membership, job, item, assignment, reserved=item["id"] in reserved
        )
        if item["id"] in reserved and result == BulkReviewOutcome.Result.FAILED:
            _unreserve_if_held(membership, job, assignment, message)
        # IntegrityError: another run of this chunk recorded it first.
        with contextlib.suppress(IntegrityError):
            BulkReviewOutcome.objects.create(
                job=job, assignment_id=item["id"], result=result, message=message[:2000]
            )

    def worker() -> None:
        try:
            while True:
                # Checked before every MTurk call, so that Stop takes effect at once.
                if watch.cancelled():
                    return
                try:
                    item = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    one(item)
                except Exception:
                    logger.exception("bulk review %s: item %s", job.pk, item["id"])
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, daemon=True) for _ in range(min(bulk_threads(), len(todo)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for pk in reserved - sent:  # stopped before their turn
        _unreserve_if_held(membership, job, assignments[pk], "The job was stopped.")
    # The workers' counts, once for the chunk rather than once per decision.
    workers_refresh(requester=job.requester, worker_ids={a.worker_id for a in assignments.values()})
    if not watch.cancelled():
        _finish_if_complete(job)


def _reserve(
    membership: Membership | None, job: BulkReview, todo: list[dict], assignments: dict
) -> set[int]:
    """The chunk's approvals of submitted assignments claimed, and their money recorded, in one
    go (`approvals_reserve`): one lock of the account per chunk, not per approval. When the lot
    does not fit the daily limit, nothing is reserved and each item is checked on its own."""
    if membership is None:
        return set()
    items = [
        (assignments[item["id"]], item.get("feedback", ""))
        for item in todo
        if item["action"] == "approve"
        and item["id"] in assignments
        and assignments[item["id"]].status == AssignmentStatus.SUBMITTED
    ]
    if not items:
        return set()
    try:
        claimed = approvals_reserve(membership=membership, actor=job.created_by, items=items)
    except (ValidationError, PermissionDenied):
        return set()
    return {assignment.pk for assignment in claimed}


def _unreserve_if_held(
    membership: Membership, job: BulkReview, assignment: Assignment, reason: str
) -> None:
    """A reserved approval that was not sent (refused before the call, or stopped): give it back,
    unless the decision already released it (a refused call undoes its own reservation)."""
    held = Assignment.objects.filter(
        pk=assignment.pk, status=AssignmentStatus.SUBMITTED, decision="approve"
    ).exists()
    if held:
        approval_unreserve(
            membership=membership, actor=job.created_by, assignment=assignment, reason=reason
        )


def _review_one(
    membership: Membership | None,
    job: BulkReview,
    item: dict,
    assignment: Assignment | None,
    *,
    reserved: bool = False,
) -> tuple[str, str]:
    if membership is None:
        return (
            BulkReviewOutcome.Result.FAILED,
            "The person who started this job is no longer a member.",
        )
    if assignment is None:
        return BulkReviewOutcome.Result.FAILED, "The assignment is gone."
    try:
        if item["action"] == "approve":
            if assignment.status == AssignmentStatus.APPROVED:
                return BulkReviewOutcome.Result.SKIPPED, "Already Approved."
            outcome = assignment_approve(
                membership=membership,
                assignment=assignment,
                actor=job.created_by,
                feedback=item.get("feedback", ""),
                refresh_workers=False,
                reserved=reserved,
            )
        else:
            outcome = assignment_reject(
                membership=membership,
                assignment=assignment,
                actor=job.created_by,
                feedback=item["feedback"],
                refresh_workers=False,
            )
    except (ValidationError, PermissionDenied, MTurkError) as exc:
        return BulkReviewOutcome.Result.FAILED, " ".join(getattr(exc, "messages", [str(exc)]))
    return (
        BulkReviewOutcome.Result.DONE if outcome.done else BulkReviewOutcome.Result.SKIPPED
    ), outcome.message


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
