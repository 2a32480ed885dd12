from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from apps.hits import selectors
from apps.hits.forms import HITFilterForm
from apps.hits.models import HIT
from apps.notifications.selectors import hit_timeline
from apps.qualifications.requirements import requirements_labels
from apps.requesters.access import current_membership_for, membership_for


@require_GET
def hit_list(request: HttpRequest) -> HttpResponse:
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
def hit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    hit = get_object_or_404(HIT.objects.select_related("hit_type", "requester"), pk=pk)
    # 404, not 403, for another account's HIT: its existence is not revealed.
    membership_for(user=request.user, requester_id=hit.requester_id)
    return render(
        request,
        "hits/detail.html",
        {
            "hit": hit,
            "assignments": selectors.hit_assignments(hit),
            "timeline": hit_timeline(hit),
            "requirement_labels": requirements_labels(
                hit.hit_type.qualification_requirements if hit.hit_type else [],
                requester=hit.requester,
            ),
        },
    )
