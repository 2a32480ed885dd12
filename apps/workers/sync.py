"""Reconciliation of the workers' own objects: their summaries (counted from the assignments we
hold) and the account's worker blocks (ListWorkerBlocks)."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from apps.hits.models import Assignment, AssignmentStatus
from apps.hits.upserts import jsonable
from apps.mturk.gateway import Gateway
from apps.requesters.models import Requester
from apps.workers.models import Worker, WorkerBlock


def workers_refresh(*, requester: Requester, worker_ids: set[str]) -> None:
    """Recount the given workers' work for this account from the assignments we hold."""
    if not worker_ids:
        return
    worker_ids = sorted(worker_ids)
    for start in range(0, len(worker_ids), 500):
        chunk = worker_ids[start : start + 500]
        rows = (
            Assignment.objects.filter(requester=requester, worker_id__in=chunk)
            .values("worker_id")
            .annotate(
                submitted=Count("id"),
                approved=Count("id", filter=Q(status=AssignmentStatus.APPROVED)),
                rejected=Count("id", filter=Q(status=AssignmentStatus.REJECTED)),
                first=Min("accept_time"),
                last=Max("submit_time"),
            )
        )
        existing = {
            w.worker_id: w for w in Worker.objects.filter(requester=requester, worker_id__in=chunk)
        }
        to_create, to_update = [], []
        for row in rows:
            worker = existing.get(row["worker_id"]) or Worker(
                requester=requester, worker_id=row["worker_id"]
            )
            worker.submitted, worker.approved, worker.rejected = (
                row["submitted"],
                row["approved"],
                row["rejected"],
            )
            worker.first_seen, worker.last_seen = row["first"], row["last"]
            (to_update if worker.pk else to_create).append(worker)
        Worker.objects.bulk_create(to_create, ignore_conflicts=True)
        Worker.objects.bulk_update(
            to_update, ["submitted", "approved", "rejected", "first_seen", "last_seen"]
        )


def worker_blocks_sync(*, requester: Requester, gateway: Gateway, changes: Counter) -> None:
    """Mirror the account's blocks exactly as ListWorkerBlocks lists them."""
    fetched_at = timezone.now()
    seen = set()
    for data in gateway.paginate("list_worker_blocks"):
        seen.add(data["WorkerId"])
        _, created = WorkerBlock.objects.update_or_create(
            requester=requester,
            worker_id=data["WorkerId"],
            defaults={
                "reason": data.get("Reason", ""),
                "raw": jsonable(data),
                "synced_at": fetched_at,
            },
            create_defaults={
                "reason": data.get("Reason", ""),
                "raw": jsonable(data),
                "synced_at": fetched_at,
                "blocked_at": fetched_at,
            },
        )
        changes["blocks_added"] += int(created)
    deleted, _ = (
        WorkerBlock.objects.filter(requester=requester).exclude(worker_id__in=seen).delete()
    )
    changes["blocks_removed"] += deleted
