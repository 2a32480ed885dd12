"""A batch's results page: its HITs, twenty a page, each with its input and every worker's
answer drawn together (a layer per worker, `apps.review.drawing`), how far they agree, and the
answer aggregated from theirs (`apps.review.quality.aggregate`). Any member of the batch's
account may read it."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from apps.batches.models import Batch
from apps.requesters.access import membership_for
from apps.review import drawing
from apps.review.decisions import selectors
from apps.review.decisions.views import allow_media
from apps.review.quality.aggregate import batch_aggregate

PAGE_SIZE = 20


@require_GET
def batch_results(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(Batch.objects.select_related("requester", "project"), pk=pk)
    membership_for(user=request.user, requester_id=batch.requester_id)
    page = Paginator(selectors.batch_result_rows(batch), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    work = selectors.hit_work(row.hit_id for row in rows)
    aggregate = batch_aggregate(batch) if rows else None
    specs = drawing.SpecCache()
    items = []
    for row in rows:
        assignments = work.get(row.hit_id, [])
        aggregated = aggregate.items.get(row.hit.mturk_id) if aggregate else None
        items.append(
            {
                "row": row,
                "hit": row.hit,
                "people": list(zip(assignments, drawing.workers_of(assignments), strict=True)),
                "drawing": drawing.hit_drawing(
                    row, assignments, specs=specs, aggregated=aggregated
                ),
                "aggregate": aggregated,
            }
        )
    context = {
        "batch": batch,
        "page": page,
        "query": "",
        "items": items,
        # The batch's aggregated answers (None before any HIT): each item's `aggregate` is its
        # HIT's fields, and its drawing's `aggregate` the same in words.
        "aggregate": aggregate,
    }
    response = render(request, "review/batch_results.html", context)
    allow_media(response, (item["drawing"] for item in items))
    return response
