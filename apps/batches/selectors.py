"""Reads for the batch pages: progress, counters, the submissions chart, spend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone

from apps.batches import splitting
from apps.batches.models import Batch, BatchAction, BatchRow, Project, RowStatus
from apps.hits.models import HIT, Assignment, AssignmentStatus
from apps.mturk import fees
from apps.requesters.models import Requester


def projects_for(requester: Requester) -> QuerySet[Project]:
    return Project.objects.filter(requester=requester).annotate(batch_count=Count("batches"))


def batches_for(requester: Requester) -> QuerySet[Batch]:
    return Batch.objects.filter(requester=requester).select_related("project")


@dataclass
class LaunchProgress:
    total: int
    created: int
    failed: int
    pending: int
    creating: int
    eta_seconds: int | None
    # Rows whose call failed and is being repeated (MTurk throttling, faulting or unreachable).
    retrying: int = 0

    @property
    def remaining(self) -> int:
        return self.pending + self.creating

    @property
    def done(self) -> int:
        return self.created + self.failed


def launch_progress(batch: Batch) -> LaunchProgress:
    counts = dict(
        BatchRow.objects.filter(batch=batch)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    progress = LaunchProgress(
        # The HITs to make: a split row is several (its parts), a held row one still.
        total=sum(counts.values()) or batch.row_count,
        created=counts.get(RowStatus.CREATED, 0),
        failed=counts.get(RowStatus.FAILED, 0),
        pending=counts.get(RowStatus.PENDING, 0),
        creating=counts.get(RowStatus.CREATING, 0),
        eta_seconds=None,
    )
    if progress.creating:
        progress.retrying = (
            BatchRow.objects.filter(batch=batch, status=RowStatus.CREATING)
            .exclude(error="")
            .count()
        )
    if progress.remaining:
        rate = batch.requester.requests_per_second
        if batch.launch_started_at and progress.created:
            elapsed = (timezone.now() - batch.launch_started_at).total_seconds()
            if elapsed > 1:
                rate = min(rate, progress.created / elapsed)
        progress.eta_seconds = int(progress.remaining / rate) if rate else None
    return progress


@dataclass
class BatchCounters:
    target: int
    submitted: int
    approved: int
    rejected: int
    pending: int
    available: int
    spent: Decimal
    committed: Decimal
    # Assignments MTurk counts as done on the batch's HITs (submitted or decided), which the
    # mirror may not hold yet.
    completed: int = 0
    # The median time from accepting to submitting, over the assignments that came back, and
    # what the reward pays an hour at that pace.
    median_work_seconds: int | None = None
    timed: int = 0
    hourly: Decimal | None = None

    @property
    def awaited(self) -> bool:
        """Whether work MTurk has is still on its way into the mirror."""
        return self.completed > self.submitted + self.approved + self.rejected


def batch_counters(batch: Batch) -> BatchCounters:
    hits = HIT.objects.filter(batch_rows__batch=batch)
    sums = hits.aggregate(
        pending=Sum("pending"),
        available=Sum("available"),
        target=Sum("max_assignments"),
        completed=Sum("completed"),
    )
    assignments = Assignment.objects.filter(hit__batch_rows__batch=batch)
    by_status = assignments.aggregate(
        submitted=Count("id", filter=Q(status=AssignmentStatus.SUBMITTED)),
        approved=Count("id", filter=Q(status=AssignmentStatus.APPROVED)),
        rejected=Count("id", filter=Q(status=AssignmentStatus.REJECTED)),
        timed=Count("id", filter=TIMED),
    )
    props = batch.launch_properties
    max_assignments = props.get("max_assignments", batch.project.max_assignments)
    reward = Decimal(props.get("reward", batch.project.reward))
    # A split row's HITs have at most 9 assignments each: the lower fee.
    split = bool(props) and splitting.batch_splits(batch, props)
    fee_size = splitting.MAX_PER_PART if split else max_assignments
    per = reward + fees.assignment_fee(reward, max_assignments=fee_size)
    timed = by_status["timed"]
    median = median_work_seconds(assignments, timed)
    hourly = None
    if median:
        hourly = (reward * 3600 / median).quantize(Decimal("0.01"))
    return BatchCounters(
        median_work_seconds=median,
        timed=timed,
        hourly=hourly,
        target=sums["target"] or batch.row_count * max_assignments,
        submitted=by_status["submitted"],
        approved=by_status["approved"],
        rejected=by_status["rejected"],
        pending=sums["pending"] or 0,
        available=sums["available"] or 0,
        spent=per * by_status["approved"],
        committed=per * (by_status["approved"] + by_status["submitted"]),
        completed=sums["completed"] or 0,
    )


# The assignments a work time is measured on: those that came back, with both times.
TIMED = Q(
    accept_time__isnull=False,
    submit_time__isnull=False,
    status__in=[AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED],
)


def median_work_seconds(assignments: QuerySet[Assignment], count: int) -> int | None:
    """The median work time, in whole seconds, of the `count` timed assignments among these:
    one query, the middle found by the database (a batch of a million assignments stays
    cheap)."""
    if not count:
        return None
    ordered = (
        assignments.filter(TIMED)
        .annotate(work=ExpressionWrapper(F("submit_time") - F("accept_time"), DurationField()))
        .order_by("work")
        .values_list("work", flat=True)
    )
    middle = ordered[(count - 1) // 2 : count // 2 + 1]
    values = [w.total_seconds() for w in middle]
    return max(round(sum(values) / len(values)), 0) if values else None


@dataclass
class ChartBar:
    start: datetime
    count: int
    height: int  # in the SVG's 100-unit scale
    x: int

    @property
    def y(self) -> int:
        return 100 - self.height


def submissions_chart(batch: Batch, *, bars: int = 24) -> list[ChartBar]:
    """Submissions over time in at most `bars` equal buckets, for an SVG drawn by the template."""
    times = Assignment.objects.filter(
        hit__batch_rows__batch=batch, submit_time__isnull=False
    ).values_list("submit_time", flat=True)
    first = times.order_by("submit_time").first()
    if first is None:
        return []
    last = times.order_by("-submit_time").first()
    span = max((last - first).total_seconds(), 60.0)
    width = span / bars
    counts = [0] * bars
    for moment in times.iterator(chunk_size=5000):
        position = min(bars - 1, int((moment - first).total_seconds() / width))
        counts[position] += 1
    top = max(counts)
    return [
        ChartBar(
            start=first + timedelta(seconds=i * width),
            count=c,
            height=round(100 * c / top) if top else 0,
            x=i * 10,
        )
        for i, c in enumerate(counts)
    ]


def batch_hits(batch: Batch) -> QuerySet[BatchRow]:
    return BatchRow.objects.filter(batch=batch, hit__isnull=False).select_related("hit")


def failed_rows(batch: Batch) -> QuerySet[BatchRow]:
    return BatchRow.objects.filter(batch=batch, status=RowStatus.FAILED).order_by("index")


def batch_actions(batch: Batch) -> QuerySet[BatchAction]:
    return BatchAction.objects.filter(batch=batch)
