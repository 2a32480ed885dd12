from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.audit.models import AuditEvent


def audit_record(
    *,
    actor,
    requester,
    action: str,
    target_type: str = "",
    target_id: str = "",
    amount: Decimal | None = None,
    fee: Decimal | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event. `actor` is a user or None for the system (beat tasks, sync)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_name=user.get_username() if user else "system",
        requester=requester,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        amount=amount,
        fee=fee,
        details=details or {},
    )
