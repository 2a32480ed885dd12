from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet, Sum

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


def audit_money_total(events: QuerySet[AuditEvent]) -> Decimal:
    """The amounts and fees of these events, summed: for today's entries of one account, the
    figure its daily limit counts (`requester_spent_today`)."""
    total = events.filter(amount__isnull=False).aggregate(amount=Sum("amount"), fee=Sum("fee"))
    return (total["amount"] or Decimal("0")) + (total["fee"] or Decimal("0"))
