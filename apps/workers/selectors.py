from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, Exists, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from apps.hits.models import Assignment, AssignmentStatus
from apps.qualifications.models import QualificationScore
from apps.requesters.models import Requester
from apps.workers.models import Worker, WorkerBlock, WorkerMessage

_MONEY = DecimalField(max_digits=12, decimal_places=2)

SORTS = {
    "last_seen": "-last_seen",
    "submitted": "-submitted",
    "rejected": "-rejected",
    "approval": "approval_sort",
    "earned": "-earned",
    "worker": "worker_id",
}


def workers_for_requester(requester: Requester, *, filters: dict) -> QuerySet[Worker]:
    """The account's workers, filtered and sorted, with what they earned and whether they are
    blocked. The list page adds review's figures (bonuses, gold) to the same query."""
    earned = (
        Assignment.objects.filter(
            requester=requester, worker_id=OuterRef("worker_id"), status=AssignmentStatus.APPROVED
        )
        .values("worker_id")
        .annotate(total=Sum("hit__reward"))
        .values("total")
    )
    workers = Worker.objects.filter(requester=requester).annotate(
        earned=Coalesce(
            Subquery(earned, output_field=_MONEY), Value(Decimal("0")), output_field=_MONEY
        ),
        blocked=Exists(
            WorkerBlock.objects.filter(requester=requester, worker_id=OuterRef("worker_id"))
        ),
        approval_sort=F("approved") * 1000 / (F("approved") + F("rejected") + 1),
    )
    if filters.get("q"):
        workers = workers.filter(worker_id__icontains=filters["q"].strip())
    if filters.get("blocked") == "yes":
        workers = workers.filter(blocked=True)
    elif filters.get("blocked") == "no":
        workers = workers.filter(blocked=False)
    if filters.get("min_rejected"):
        workers = workers.filter(rejected__gte=filters["min_rejected"])
    return workers.order_by(
        SORTS.get(filters.get("sort") or "last_seen", "-last_seen"), "worker_id"
    )


def worker_profile(requester: Requester, worker_id: str) -> dict:
    """What this app and the mirror hold of one worker; the page adds review's (bonuses, gold)."""
    return {
        "worker": Worker.objects.filter(requester=requester, worker_id=worker_id).first(),
        "assignments": Assignment.objects.filter(requester=requester, worker_id=worker_id)
        .select_related("hit")
        .order_by("-submit_time")[:200],
        "worker_messages": WorkerMessage.objects.filter(
            requester=requester, worker_ids__contains=[worker_id]
        )
        if _json_contains_supported()
        else [
            m
            for m in WorkerMessage.objects.filter(requester=requester)
            if worker_id in m.worker_ids
        ],
        "scores": QualificationScore.objects.filter(
            requester=requester, worker_id=worker_id
        ).select_related("qualification_type"),
        # Not "block": inside {% block %} Django's own BlockNode answers to that name.
        "worker_block": WorkerBlock.objects.filter(
            requester=requester, worker_id=worker_id
        ).first(),
    }


def worker_is_blocked(requester: Requester, worker_id: str) -> bool:
    """Whether the mirror holds a block of this worker (made here, or found by reconciliation)."""
    return WorkerBlock.objects.filter(requester=requester, worker_id=worker_id).exists()


def batch_worker_ids(requester: Requester, batch_key: str) -> list[str]:
    """The workers who submitted work to one batch (its launch key on their assignments), by id.
    Takes the key, not the batch: batches sit above this app."""
    if not batch_key:
        return []
    return list(
        Assignment.objects.filter(requester=requester, batch_key=batch_key)
        .order_by("worker_id")
        .values_list("worker_id", flat=True)
        .distinct()
    )


def _json_contains_supported() -> bool:
    from django.db import connection

    return connection.features.supports_json_field_contains
