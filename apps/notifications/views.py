from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.mturk.errors import MTurkError
from apps.notifications import services
from apps.requesters.access import membership_for
from apps.requesters.models import Membership
from apps.requesters.roles import Action, role_allows


def _status_context(membership: Membership) -> dict:
    return {
        "requester": membership.requester,
        "status": services.notifications_status(membership.requester),
        "can_test": role_allows(membership.role, Action.MANAGE_ACCOUNT),
    }


@require_GET
def notification_status(request: HttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(user=request.user, requester_id=pk)
    context = _status_context(membership)
    if request.htmx:
        return render(request, "notifications/_status.html", context)
    return redirect("requesters-detail", pk=pk)


@require_POST
def notification_test(request: HttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(user=request.user, requester_id=pk, action=Action.MANAGE_ACCOUNT)
    try:
        services.requester_send_test_notification(
            requester=membership.requester, actor=request.user
        )
        messages.success(request, "Test notification sent: the Ping appears below when it arrives.")
    except (MTurkError, ValueError) as exc:
        messages.error(request, f"MTurk refused the test notification: {exc}")
    if request.htmx:
        return render(request, "notifications/_status.html", _status_context(membership))
    return redirect("requesters-detail", pk=pk)
