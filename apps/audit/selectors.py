from __future__ import annotations

from django.db.models import QuerySet

from apps.audit.models import AuditEvent


def audit_events_for_user(user, *, filters: dict) -> QuerySet[AuditEvent]:
    """Events of the accounts the person belongs to, narrowed by the cleaned filter form."""
    events = AuditEvent.objects.filter(requester__memberships__user=user).select_related(
        "requester"
    )
    if filters.get("requester"):
        events = events.filter(requester=filters["requester"])
    if filters.get("action"):
        events = events.filter(action__startswith=filters["action"])
    if filters.get("actor"):
        events = events.filter(actor_name__icontains=filters["actor"])
    if filters.get("target"):
        events = events.filter(target_id=filters["target"])
    if filters.get("since"):
        events = events.filter(created_at__date__gte=filters["since"])
    if filters.get("until"):
        events = events.filter(created_at__date__lte=filters["until"])
    if filters.get("money_only"):
        events = events.filter(amount__isnull=False)
    return events.order_by("-created_at", "-id")
