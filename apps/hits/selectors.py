from __future__ import annotations

from django.db.models import Q, QuerySet

from apps.hits.models import HIT, Assignment, SyncLock, SyncRun
from apps.requesters.models import Requester


def hits_for_requester(requester: Requester, *, filters: dict) -> QuerySet[HIT]:
    hits = HIT.objects.filter(requester=requester).select_related("hit_type")
    if filters.get("status"):
        hits = hits.filter(status=filters["status"])
    if filters.get("hit_type"):
        hits = hits.filter(hit_type=filters["hit_type"])
    if filters.get("batch"):
        hits = hits.filter(batch_rows__batch=filters["batch"])
    if filters.get("created_from"):
        hits = hits.filter(created_at_mturk__date__gte=filters["created_from"])
    if filters.get("created_to"):
        hits = hits.filter(created_at_mturk__date__lte=filters["created_to"])
    if filters.get("text"):
        text = filters["text"]
        hits = hits.filter(
            Q(title__icontains=text) | Q(annotation__icontains=text) | Q(mturk_id=text)
        )
    if not filters.get("include_gone"):
        hits = hits.filter(gone_at__isnull=True)
    return hits.order_by("-created_at_mturk", "-id")


def hit_assignments(hit: HIT) -> QuerySet[Assignment]:
    return hit.assignments.order_by("submit_time", "id")


def sync_runs(requester: Requester, limit: int = 20) -> list[SyncRun]:
    return list(SyncRun.objects.filter(requester=requester)[:limit])


def sync_running(requester: Requester) -> bool:
    """Whether a reconciliation of the account holds its lock now."""
    return SyncLock.objects.filter(requester=requester).exclude(holder="").exists()
