from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.hits import selectors
from apps.hits.forms import HITFilterForm
from apps.hits.models import HIT, SyncLock
from apps.hits.tasks import requester_sync_task
from apps.requesters.roles import Action
from apps.requesters.selectors import current_membership_for, membership_for


@require_GET
def hit_list(request):
    membership = current_membership_for(request)
    if membership is None:
        messages.info(request, "Choose an account first.")
        return redirect("home")
    requester = membership.requester
    form = HITFilterForm(request.GET or None, requester=requester)
    filters = form.cleaned_data if form.is_valid() else {}
    page = Paginator(selectors.hits_for_requester(requester, filters=filters), 50).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "requester": requester}
    if request.htmx and not request.htmx.boosted:
        return render(request, "hits/list.html#results", context)
    return render(request, "hits/list.html", context)


@require_GET
def hit_detail(request, pk: int):
    hit = get_object_or_404(HIT.objects.select_related("hit_type", "requester"), pk=pk)
    # 404, not 403, for another account's HIT: its existence is not revealed.
    membership_for(user=request.user, requester_id=hit.requester_id)
    return render(
        request,
        "hits/detail.html",
        {
            "hit": hit,
            "assignments": selectors.hit_assignments(hit),
            "timeline": selectors.hit_timeline(hit),
        },
    )


def _sync_context(requester) -> dict:
    runs = selectors.sync_runs(requester)
    lock = SyncLock.objects.filter(requester=requester).first()
    last = runs[0] if runs else None
    next_run = last.started_at + timedelta(seconds=settings.SYNC_INTERVAL_SECONDS) if last else None
    return {
        "requester": requester,
        "runs": runs,
        "running": bool(lock and lock.holder),
        "last": last,
        "next_run": next_run,
        "interval": settings.SYNC_INTERVAL_SECONDS,
    }


@require_GET
def sync_status(request):
    membership = current_membership_for(request)
    if membership is None:
        return redirect("home")
    context = _sync_context(membership.requester)
    if request.htmx:
        return render(request, "hits/sync.html#status", context)
    return render(request, "hits/sync.html", context)


@require_POST
def sync_now(request):
    membership = current_membership_for(request, Action.SYNC)
    if membership is None:
        return redirect("home")
    full = request.POST.get("full") == "1"
    transaction.on_commit(lambda: requester_sync_task.delay(membership.requester_id, full))
    messages.success(
        request, f"{'Full sync' if full else 'Sync'} of {membership.requester.name} started."
    )
    return redirect("hits-sync")
