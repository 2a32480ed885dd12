from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils import timezone

from apps.batches.models import Batch, BatchRow
from apps.hits.models import Assignment, AssignmentStatus
from apps.requesters.models import Requester
from apps.review.models import FeedbackReason
from apps.workers.models import Worker

SOON = timedelta(hours=24)
_ANSWERED = [AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED]


def review_queue(requester: Requester, *, filters: dict) -> QuerySet[Assignment]:
    assignments = Assignment.objects.filter(requester=requester).select_related(
        "hit", "hit__hit_type"
    )
    status = filters.get("status", AssignmentStatus.SUBMITTED)
    if status:
        assignments = assignments.filter(status=status)
    if filters.get("hit_type"):
        assignments = assignments.filter(hit__hit_type=filters["hit_type"])
    if filters.get("batch"):
        # Assignments carry their batch's launch key (indexed with the account, the status and
        # the sort): the page is one index range, no join.
        batch = filters["batch"]
        assignments = assignments.filter(batch_key=getattr(batch, "launch_key", batch))
    if filters.get("hit"):
        assignments = assignments.filter(hit__mturk_id=filters["hit"])
    if filters.get("worker"):
        assignments = assignments.filter(worker_id=filters["worker"].strip().upper())
    if filters.get("submitted_from"):
        assignments = assignments.filter(submit_time__date__gte=filters["submitted_from"])
    if filters.get("submitted_to"):
        assignments = assignments.filter(submit_time__date__lte=filters["submitted_to"])
    if filters.get("answer"):
        assignments = assignments.filter(answer_xml__icontains=filters["answer"])
    if filters.get("agreement_below") is not None:
        assignments = assignments.filter(agreement__lt=filters["agreement_below"] / 100)
    if filters.get("soon"):
        assignments = assignments.filter(
            status=AssignmentStatus.SUBMITTED, auto_approval_time__lte=timezone.now() + SOON
        )
    if filters.get("sort") == "deadline":
        return assignments.order_by("auto_approval_time", "id")
    return assignments.order_by("submit_time", "id")


def review_page(assignments: QuerySet[Assignment], number, *, per_page: int) -> Page:
    """One page of the queue in five queries whatever the page: the count, the page's ids
    (sorted and offset on narrow rows, not on the answers), then those rows with their HIT, the
    CSV rows of batch HITs (the input the cards show) and their batches (whose template the
    cards draw the answers with, one instance per batch)."""
    page = Paginator(assignments.values_list("pk", flat=True), per_page).get_page(number)
    ids = list(page.object_list)
    rows = (
        # `code_check`: a study's verdict on the completion code (apps/studies), on its card.
        assignments.model.objects.select_related("hit", "hit__hit_type", "code_check")
        .prefetch_related("hit__batch_rows", "hit__batch_rows__batch")
        # The raw payloads are not shown: no need to read and decode them for fifty rows.
        .defer("raw", "answer_xml", "hit__raw", "hit__hit_type__raw")
        .in_bulk(ids)
    )
    page.object_list = [rows[pk] for pk in ids if pk in rows]
    return page


def hit_work(hit_ids: Iterable[int]) -> dict[int, list[Assignment]]:
    """The submitted, approved and rejected assignments of these HITs (the answers a drawing
    shows), by HIT, in the order they were submitted: one query for a whole page."""
    work: dict[int, list[Assignment]] = {}
    assignments = (
        Assignment.objects.filter(hit_id__in=set(hit_ids), status__in=_ANSWERED)
        .only(
            "id",
            "mturk_id",
            "hit_id",
            "worker_id",
            "status",
            "answers",
            "task_answers",
            "agreement",
            "submit_time",
        )
        .order_by("submit_time", "id")
    )
    for assignment in assignments:
        work.setdefault(assignment.hit_id, []).append(assignment)
    return work


def batch_result_rows(batch: Batch) -> QuerySet[BatchRow]:
    """The batch's rows that made a HIT, in the order of the CSV, with their HIT (and their
    batch known: each row's `batch` is this one, read no more)."""
    return batch.rows.filter(hit__isnull=False).select_related("hit").order_by("index")


def review_counts(requester_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per account: (assignments waiting for a decision, those MTurk approves by itself within
    24 hours), in one query."""
    from django.db.models import Count, Q

    rows = (
        Assignment.objects.filter(requester_id__in=requester_ids, status=AssignmentStatus.SUBMITTED)
        .values("requester_id")
        .annotate(
            waiting=Count("id"),
            soon=Count("id", filter=Q(auto_approval_time__lte=timezone.now() + SOON)),
        )
    )
    return {row["requester_id"]: (row["waiting"], row["soon"]) for row in rows}


def auto_approving_soon(requester: Requester) -> int:
    return Assignment.objects.filter(
        requester=requester,
        status=AssignmentStatus.SUBMITTED,
        auto_approval_time__lte=timezone.now() + SOON,
    ).count()


def feedback_reasons(requester: Requester) -> QuerySet[FeedbackReason]:
    """The rejection reasons saved on the account, for the cards' choice."""
    return FeedbackReason.objects.filter(requester=requester)


def workers_by_id(requester: Requester, worker_ids: set[str]) -> dict[str, Worker]:
    return {
        w.worker_id: w for w in Worker.objects.filter(requester=requester, worker_id__in=worker_ids)
    }
