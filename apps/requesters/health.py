"""MTurk's health as each account's pages show it (the record itself: apps/mturk/health.py)."""

from __future__ import annotations

from apps.mturk.health import Health, health_get
from apps.requesters.models import Requester


def requester_gateway_key(requester: Requester) -> str:
    """The key the gateway, its rate limiter and its health record know the account by."""
    return f"requester-{requester.pk}"


def requester_mturk_health(requester: Requester | None) -> Health | None:
    """Since when, and how often, MTurk has failed this account; None while it answers."""
    if requester is None or requester.pk is None:
        return None
    return health_get(requester_gateway_key(requester))
