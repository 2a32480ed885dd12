"""Reads: which accounts a person may see, and their membership in one."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from apps.requesters.models import Membership
from apps.requesters.roles import Action, role_allows


def memberships_for_user(user) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user).select_related("requester").order_by("requester__name")
    )


def membership_for(*, user, requester_id, action: Action = Action.VIEW) -> Membership:
    """The person's membership in an account, or 404 when they have none (the account's
    existence is not revealed), or PermissionDenied when their role does not allow `action`."""
    try:
        membership = memberships_for_user(user).get(requester_id=int(requester_id))
    except (Membership.DoesNotExist, TypeError, ValueError):
        raise Http404("No such account.") from None
    if not role_allows(membership.role, action):
        raise PermissionDenied(f"A {membership.role} of {membership.requester} cannot do this.")
    return membership
