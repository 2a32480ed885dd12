"""The page that says why a worker can or cannot take a batch's HITs."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from apps.batches.eligibility.selectors import eligibility
from apps.batches.models import Batch
from apps.mturk.ids import worker_id_clean
from apps.requesters.access import membership_for


@require_GET
def batch_eligibility(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(Batch.objects.select_related("requester", "project"), pk=pk)
    membership_for(user=request.user, requester_id=batch.requester_id)
    typed = (request.GET.get("worker") or "").strip()
    context = {"batch": batch, "requester": batch.requester, "typed": typed[:64]}
    if typed:
        try:
            worker_id = worker_id_clean(typed)
        except ValidationError:
            # The id is attacker input: it is shown back cut short and escaped, never used.
            context["error"] = "A worker id is an A followed by capital letters and digits."
            return render(request, "batches/eligibility.html", context, status=400)
        context["worker_id"] = worker_id
        context["result"] = eligibility(batch, worker_id)
    return render(request, "batches/eligibility.html", context)
