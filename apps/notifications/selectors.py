from __future__ import annotations

from django.db.models import QuerySet

from apps.hits.models import HIT
from apps.notifications.models import NotificationEvent


def hit_timeline(hit: HIT) -> QuerySet[NotificationEvent]:
    """The notifications MTurk sent about one HIT, oldest first."""
    return NotificationEvent.objects.filter(
        requester_id=hit.requester_id, hit_mturk_id=hit.mturk_id
    ).order_by("event_timestamp", "id")
