from __future__ import annotations

from django.db.models import Q, QuerySet

from apps.hits.models import HIT, Assignment, SyncRun
from apps.notifications.models import NotificationEvent
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


def hit_timeline(hit: HIT) -> QuerySet[NotificationEvent]:
    return NotificationEvent.objects.filter(
        requester_id=hit.requester_id, hit_mturk_id=hit.mturk_id
    ).order_by("event_timestamp", "id")


def sync_runs(requester: Requester, limit: int = 20) -> list[SyncRun]:
    return list(SyncRun.objects.filter(requester=requester)[:limit])
