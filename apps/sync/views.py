from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.hits import selectors as hit_selectors
from apps.requesters.access import current_membership_for
from apps.requesters.models import Requester
from apps.requesters.roles import Action, role_allows
from apps.sync.services import requester_sync_start


def _status_context(requester: Requester) -> dict:
    runs = hit_selectors.sync_runs(requester)
    last = runs[0] if runs else None
    next_run = last.started_at + timedelta(seconds=settings.SYNC_INTERVAL_SECONDS) if last else None
    return {
        "requester": requester,
        "runs": runs,
        "running": hit_selectors.sync_running(requester),
        "last": last,
        "next_run": next_run,
        "interval": settings.SYNC_INTERVAL_SECONDS,
    }


@require_GET
def sync_status(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request)
    if membership is None:
        return redirect("home")
    context = _status_context(membership.requester)
    context["can_sync"] = role_allows(membership.role, Action.SYNC)
    if request.htmx:
        return render(request, "sync/status.html#status", context)
    return render(request, "sync/status.html", context)


@require_POST
def sync_now(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request, Action.SYNC)
    if membership is None:
        return redirect("home")
    full = request.POST.get("full") == "1"
    requester_sync_start(requester=membership.requester, full=full)
    messages.success(
        request, f"{'Full sync' if full else 'Sync'} of {membership.requester.name} started."
    )
    return redirect("sync-status")
