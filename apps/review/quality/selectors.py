"""Reads of the stored gold figures (`WorkerGold`, kept by `apps.review.quality.gold`) for the
pages of other apps: the workers list and a worker's page."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery, Sum

from apps.requesters.models import Requester
from apps.review.models import WorkerGold
from apps.review.quality.gold import GoldScore
from apps.workers.models import Worker


def workers_with_gold(workers: QuerySet[Worker], requester: Requester) -> QuerySet[Worker]:
    """The workers with `gold_right` and `gold_total`: their gold answers over every batch, as
    last computed, by subquery (the list stays one query)."""
    gold = (
        WorkerGold.objects.filter(requester=requester, worker_id=OuterRef("worker_id"))
        .values("worker_id")
        .annotate(right=Sum("right"), total=Sum("total"))
    )
    return workers.annotate(
        gold_right=Subquery(gold.values("right")), gold_total=Subquery(gold.values("total"))
    )


def worker_gold_overall(requester: Requester, worker_id: str) -> GoldScore:
    """A worker's gold answers over every batch of the account, as last computed."""
    totals = WorkerGold.objects.filter(requester=requester, worker_id=worker_id).aggregate(
        right=Sum("right"), total=Sum("total")
    )
    return GoldScore(totals["right"] or 0, totals["total"] or 0)


def worker_gold_batches(requester: Requester, worker_id: str) -> QuerySet[WorkerGold]:
    """A worker's gold figures per batch, newest batch first."""
    return (
        WorkerGold.objects.filter(requester=requester, worker_id=worker_id)
        .select_related("batch")
        .order_by("-batch__created_at")
    )
