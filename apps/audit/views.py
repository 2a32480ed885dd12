import json

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.audit.forms import AuditFilterForm
from apps.audit.selectors import audit_events_for_user, audit_money_total
from mturkdash.exports import csv_response

EXPORT_HEADER = [
    "time",
    "account",
    "who",
    "action",
    "target_type",
    "target_id",
    "amount",
    "fee",
    "details",
]


def _filtered(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, audit_events_for_user(request.user, filters=filters)


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    form, events = _filtered(request)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    if form.is_valid() and form.cleaned_data.get("money_only"):
        context["money_total"] = audit_money_total(events)
    if request.htmx and not request.htmx.boosted:
        return render(request, "audit/list.html#events", context)
    return render(request, "audit/list.html", context)


@require_GET
def audit_export(request: HttpRequest) -> HttpResponseBase:
    _, events = _filtered(request)
    rows = (
        [
            event.created_at.isoformat(),
            event.requester.name if event.requester else "",
            event.actor_name,
            event.action,
            event.target_type,
            event.target_id,
            event.amount if event.amount is not None else "",
            event.fee if event.fee is not None else "",
            # JSON, so that a script reading the export gets the details back as they were.
            json.dumps(event.details, ensure_ascii=False, sort_keys=True, default=str),
        ]
        for event in events.iterator(chunk_size=2000)
    )
    return csv_response("audit.csv", EXPORT_HEADER, rows)
