"""Who may see what: the accounts a person belongs to, the one chosen in the switcher, and
their membership in an account checked for an action (404 for another account's objects)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from apps.requesters.models import Membership
from apps.requesters.roles import Action, role_allows

SESSION_KEY = "current_requester_id"


def memberships_for_user(user) -> QuerySet[Membership]:
    if user is None or not user.is_authenticated:
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
        raise PermissionDenied(refusal(membership, action))
    return membership


# What each action lets a person do, in the words of the sentence that refuses it.
ACTION_WORDS: dict[Action, str] = {
    Action.VIEW: "see this account",
    Action.SYNC: "start a sync",
    Action.REVIEW: "approve or reject work",
    Action.BONUS: "pay bonuses",
    Action.LAUNCH: "launch batches or act on their HITs",
    Action.SPEND: "spend beyond the reviewers' bonus cap",
    Action.QUALIFICATIONS: "manage qualifications",
    Action.WORKERS: "block or message workers",
    Action.MANAGE_ACCOUNT: "change the account's settings",
    Action.MANAGE_MEMBERS: "change who is a member of the account",
}


def refusal(membership: Membership, action: Action) -> str:
    """Why the role refuses the action and whom to ask, as the 403 page says it."""
    return (
        f"Your role on {membership.requester}, {membership.role}, may not "
        f"{ACTION_WORDS[action]}; ask an admin of the account."
    )


def current_membership_for(request, action: Action = Action.VIEW) -> Membership | None:
    """The membership in the account chosen in the switcher, checked for `action`; None when
    the person belongs to no account (the page then sends them home)."""
    current = current_membership(request)
    if current is None:
        return None
    return membership_for(user=request.user, requester_id=current.requester_id, action=action)


def current_membership(request) -> Membership | None:
    """The account chosen in the switcher (kept in the session), or the person's first one."""
    if hasattr(request, "_current_membership"):
        return request._current_membership
    # No user on a request refused before authentication (a 400 for a bad Host header): its
    # error page still renders the layout, without an account.
    memberships = list(memberships_for_user(getattr(request, "user", None)))
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    current = next((m for m in memberships if m.requester_id == chosen), None)
    if current is None and memberships:
        current = memberships[0]
    request._current_membership = current
    request._memberships = memberships
    return current


def still_allowed(*, user_id: int | None, requester_id: int, action: Action) -> bool:
    """Whether this person still holds a role on the account that allows `action`.

    Jobs someone queued (a launch, a bulk HIT action) ask again as they run, so a member whose
    role was lowered or removed stops their own jobs.
    """
    if user_id is None:
        return False
    role = (
        Membership.objects.filter(user_id=user_id, requester_id=requester_id)
        .values_list("role", flat=True)
        .first()
    )
    return role is not None and role_allows(role, action)
