import json
from collections import defaultdict
from collections.abc import Iterable

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET

from apps.audit.forms import AuditFilterForm
from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_events_for_user, audit_money_total
from apps.batches.models import Batch, Project
from apps.hits.models import HIT, Assignment
from apps.qualifications.models import QualificationScore, QualificationType
from apps.requesters.access import current_membership
from apps.review.models import BonusBatch, BulkReview
from apps.workers.models import Worker, WorkerBlock
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


def _by_pk(model, url_name: str):
    """Targets named by our own primary key (a batch, a bonus batch, a review job)."""

    def links(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
        # Our keys are small ASCII numbers; anything else names nothing of ours.
        ids = {int(t) for _, t in pairs if t.isascii() and t.isdigit() and len(t) < 19}
        rows = model.objects.filter(pk__in=ids).values_list("pk", "requester_id")
        return {
            (requester_id, str(pk)): reverse(url_name, args=[pk])
            for pk, requester_id in rows
            if (requester_id, str(pk)) in pairs
        }

    return links


def _by_mturk_id(model, url_name: str, page_pk: str = "pk"):
    """Targets named by MTurk's id: the page of the object (or, for an assignment, its HIT)."""

    def links(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
        rows = model.objects.filter(
            requester_id__in={requester_id for requester_id, _ in pairs},
            mturk_id__in={target for _, target in pairs},
        ).values_list("requester_id", "mturk_id", page_pk)
        return {
            (requester_id, mturk_id): reverse(url_name, args=[pk])
            for requester_id, mturk_id, pk in rows
            if (requester_id, mturk_id) in pairs
        }

    return links


def _workers(current_requester_id: int | None):
    """Worker pages show the account chosen in the switcher: only its workers get a link, and
    only those it has seen (the page is a 404 for any other)."""

    def links(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
        ids = {target for requester_id, target in pairs if requester_id == current_requester_id}
        seen: set[str] = set()
        for model in (Worker, WorkerBlock, QualificationScore):
            seen.update(
                model.objects.filter(
                    requester_id=current_requester_id, worker_id__in=ids
                ).values_list("worker_id", flat=True)
            )
        found = {}
        for worker_id in seen:
            try:
                found[current_requester_id, worker_id] = reverse("workers-detail", args=[worker_id])
            except NoReverseMatch:  # an id no worker page takes (imported by hand)
                continue
        return found

    return links


def _requesters(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], str]:
    return {
        (requester_id, target): reverse("requesters-detail", args=[requester_id])
        for requester_id, target in pairs
        if target == str(requester_id)
    }


def target_links(events: Iterable[AuditEvent], *, current_requester_id: int | None) -> None:
    """Give each event whose target is a page the person may open its `target_url`.

    The event's own account decides: a target id that names an object of another account
    (whatever the person's memberships) gets no link. One query per kind of target.
    """
    finders = {
        "batch": _by_pk(Batch, "batches-detail"),
        "project": _by_pk(Project, "batches-project"),
        "bonus_batch": _by_pk(BonusBatch, "review-bonus-batch"),
        "bulk_review": _by_pk(BulkReview, "review-job"),
        "hit": _by_mturk_id(HIT, "hits-detail"),
        "assignment": _by_mturk_id(Assignment, "hits-detail", page_pk="hit_id"),
        "qualification_type": _by_mturk_id(QualificationType, "qualifications-detail"),
        "worker": _workers(current_requester_id),
        "requester": _requesters,
    }
    events = list(events)
    wanted: dict[str, set[tuple[int, str]]] = defaultdict(set)
    for event in events:
        event.target_url = ""
        if event.requester_id and event.target_id and event.target_type in finders:
            wanted[event.target_type].add((event.requester_id, event.target_id))
    found = {kind: finders[kind](pairs) for kind, pairs in wanted.items()}
    for event in events:
        if event.target_type in found:
            event.target_url = found[event.target_type].get(
                (event.requester_id, event.target_id), ""
            )


def _filtered(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, audit_events_for_user(request.user, filters=filters)


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    form, events = _filtered(request)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    current = current_membership(request)
    target_links(page.object_list, current_requester_id=current.requester_id if current else None)
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
