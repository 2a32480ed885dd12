from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.batches.models import Batch
from apps.mturk.errors import MTurkError
from apps.qualifications import services as qualification_services
from apps.requesters.access import current_membership_for, membership_for
from apps.requesters.models import Membership
from apps.requesters.roles import Action, role_allows
from apps.review.bonuses import selectors as bonus_selectors
from apps.review.bonuses.compensation import compensation_create
from apps.review.quality import selectors as gold_selectors
from apps.workers import csvround, selectors, services
from apps.workers.forms import (
    MESSAGE_MANY_MAX,
    BlockForm,
    CompensationForm,
    MessageForm,
    MessageManyForm,
    ScoreForm,
    WorkerFilterForm,
)
from apps.workers.models import WorkerMessage, WorkerUpdate
from mturkdash.exports import csv_response
from mturkdash.templatetags import money


@require_GET
def worker_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request)
    if membership is None:
        messages.info(request, "Choose an account first.")
        return redirect("home")
    form = WorkerFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    requester = membership.requester
    workers = selectors.workers_for_requester(requester, filters=filters)
    # Review's figures, by subquery: still one query for the page.
    workers = bonus_selectors.workers_with_bonuses(workers, requester)
    workers = gold_selectors.workers_with_gold(workers, requester)
    page = Paginator(workers, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "requester": membership.requester,
        "empty_message": _empty_message(filters),
        "can_act": role_allows(membership.role, Action.WORKERS),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "workers/list.html#rows", context)
    return render(request, "workers/list.html", context)


def _empty_message(filters: dict) -> str:
    """What the list says when it finds nobody: what was searched, in words."""
    described = _filters_described(filters)
    if not described:
        return "No worker has submitted work to this account yet."
    if described == ["blocked"]:
        return "No worker of this account is blocked."
    return f"No worker of this account matches: {', '.join(described)}."


def _filters_described(filters: dict) -> list[str]:
    described = []
    if (filters.get("q") or "").strip():
        described.append(f"a worker id containing \u201c{filters['q'].strip()}\u201d")
    if filters.get("blocked") == "yes":
        described.append("blocked")
    elif filters.get("blocked") == "no":
        described.append("not blocked")
    if filters.get("min_rejected"):
        described.append(f"at least {filters['min_rejected']} rejected")
    return described


@require_GET
def worker_detail(request: HttpRequest, worker_id: str) -> HttpResponse:
    membership = current_membership_for(request)
    if membership is None:
        return redirect("home")
    requester = membership.requester
    worker_id = worker_id.upper()
    profile = selectors.worker_profile(requester, worker_id)
    if profile["worker"] is None and profile["worker_block"] is None and not profile["scores"]:
        raise Http404("This account has never seen that worker.")
    bonuses = bonus_selectors.worker_bonuses(requester, worker_id)
    return render(
        request,
        "workers/detail.html",
        {
            **profile,
            "bonuses": bonus_selectors.fees_attach(bonuses[:200]),
            "bonus_totals": bonus_selectors.bonus_totals(bonuses),
            "gold": gold_selectors.worker_gold_overall(requester, worker_id),
            "gold_batches": gold_selectors.worker_gold_batches(requester, worker_id),
            "worker_id": worker_id,
            "requester": membership.requester,
            "eligibility_batches": Batch.objects.filter(requester=requester)
            .exclude(hit_type_mturk_id="")
            .order_by("-created_at", "-pk")[:8],
            "can_act": role_allows(membership.role, Action.WORKERS),
            "can_qualify": role_allows(membership.role, Action.QUALIFICATIONS),
            "can_spend": role_allows(membership.role, Action.SPEND),
            "score_form": ScoreForm(requester=membership.requester),
            "block_form": BlockForm(),
            "message_form": MessageForm(),
        },
    )


def _done(request: HttpRequest, worker_id: str) -> HttpResponse:
    return redirect("workers-detail", worker_id=worker_id)


@require_POST
def worker_block(request: HttpRequest, worker_id: str) -> HttpResponse:
    membership = current_membership_for(request, Action.WORKERS)
    form = BlockForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Give the reason for the block.")
        services.worker_block(
            membership=membership,
            actor=request.user,
            worker_id=worker_id,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, f"{worker_id} is blocked from this account's HITs.")
    except (ValidationError, MTurkError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return _done(request, worker_id)


@require_POST
def worker_unblock(request: HttpRequest, worker_id: str) -> HttpResponse:
    membership = current_membership_for(request, Action.WORKERS)
    if not selectors.worker_is_blocked(membership.requester, worker_id.upper()):
        # The page offers Unblock only for a block it shows; nothing to undo, nothing to audit.
        messages.info(request, f"{worker_id} is not blocked by this account.")
        return _done(request, worker_id)
    try:
        services.worker_unblock(
            membership=membership,
            actor=request.user,
            worker_id=worker_id,
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, f"{worker_id} is no longer blocked.")
    except (ValidationError, MTurkError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return _done(request, worker_id)


@require_POST
def worker_message(request: HttpRequest, worker_id: str) -> HttpResponse:
    membership = current_membership_for(request, Action.WORKERS)
    form = MessageForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(
                [f"{form[name].label}: {e}" for name, errors in form.errors.items() for e in errors]
            )
        sent = services.workers_message(
            membership=membership,
            actor=request.user,
            worker_ids=[worker_id],
            subject=form.cleaned_data["subject"],
            text=form.cleaned_data["text"],
        )
        if sent.failures:
            messages.warning(
                request, f"MTurk did not deliver it: {sent.failures.get(worker_id.upper(), '')}"
            )
        else:
            messages.success(request, "Message sent.")
    except (ValidationError, MTurkError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return _done(request, worker_id)


@require_POST
def worker_score(request: HttpRequest, worker_id: str) -> HttpResponse:
    membership = current_membership_for(request, Action.QUALIFICATIONS)
    form = ScoreForm(request.POST, requester=membership.requester)
    try:
        if not form.is_valid():
            raise ValidationError("Choose a qualification type and a value.")
        qtype = form.cleaned_data["qualification_type"]
        if request.POST.get("revoke"):
            qualification_services.worker_score_revoke(
                membership=membership,
                actor=request.user,
                worker_id=worker_id,
                qualification_type=qtype,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, f"{qtype.name} revoked.")
        else:
            qualification_services.worker_score_set(
                membership=membership,
                actor=request.user,
                worker_id=worker_id,
                qualification_type=qtype,
                value=form.cleaned_data["value"],
            )
            messages.success(request, f"{qtype.name} set to {form.cleaned_data['value']}.")
    except (ValidationError, MTurkError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return _done(request, worker_id)


@require_GET
def worker_export(request: HttpRequest) -> HttpResponseBase:
    membership = current_membership_for(request)
    if membership is None:
        return redirect("home")
    header, rows = csvround.worker_csv_header_and_rows(membership.requester)
    return csv_response(f"workers-{membership.requester.pk}.csv", header, rows)


def worker_import(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request, Action.WORKERS)
    if membership is None:
        return redirect("home")
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationError("Choose the CSV file to upload.")
            update = csvround.worker_csv_read(
                membership=membership,
                actor=request.user,
                upload=upload,
                block_reason=request.POST.get("block_reason", ""),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect("workers-update", pk=update.pk)
    return render(request, "workers/import.html", {"requester": membership.requester})


def worker_update(request: HttpRequest, pk: int) -> HttpResponse:
    update = get_object_or_404(WorkerUpdate, pk=pk)
    action = Action.WORKERS if request.method == "POST" else Action.VIEW
    membership = membership_for(user=request.user, requester_id=update.requester_id, action=action)
    if request.method == "POST":
        results = csvround.worker_update_apply(
            membership=membership, actor=request.user, update=update
        )
        messages.success(
            request,
            f"{results.get('applied', 0)} change(s) applied, {results.get('failed', 0)} failed.",
        )
        return redirect("workers-update", pk=pk)
    counts = {}
    for change in update.changes:
        counts[change["kind"]] = counts.get(change["kind"], 0) + 1
    return render(
        request,
        "workers/update.html",
        {
            "update": update,
            "counts": counts,
            "groups": csvround.worker_update_groups(update),
            "can_apply": role_allows(membership.role, Action.WORKERS),
        },
    )


def _batch_membership(request: HttpRequest, batch_pk: str) -> tuple[Batch, Membership]:
    """The batch named in the address and the person's membership in its account, allowed to
    message workers: 404 for a batch of another account (or none), 403 for a lower role."""
    if not batch_pk.isdigit():
        raise Http404("No such batch.")
    batch = get_object_or_404(Batch, pk=int(batch_pk))
    membership = membership_for(
        user=request.user, requester_id=batch.requester_id, action=Action.WORKERS
    )
    return batch, membership


@require_http_methods(["GET", "POST"])
def workers_message_many(request: HttpRequest) -> HttpResponse:
    """One message to many workers: a batch's (``?batch=<pk>``) or pasted ids, counted first
    ("Send to 137 workers"), then sent in chunks of 100 by the same service as one worker's."""
    batch_pk = (request.POST if request.method == "POST" else request.GET).get("batch", "")
    batch = None
    if batch_pk:
        batch, membership = _batch_membership(request, batch_pk)
    else:
        membership = current_membership_for(request, Action.WORKERS)
        if membership is None:
            return redirect("home")
    count = None
    if request.method == "POST":
        form = MessageManyForm(request.POST)
        if form.is_valid():
            ids = form.cleaned_data["worker_ids"]
            expected = form.cleaned_data["expected"]
            if request.POST.get("send") and expected == len(ids):
                try:
                    sent = services.workers_message(
                        membership=membership,
                        actor=request.user,
                        worker_ids=ids,
                        subject=form.cleaned_data["subject"],
                        text=form.cleaned_data["text"],
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    return redirect("workers-message-result", pk=sent.pk)
            elif request.POST.get("send"):
                messages.warning(
                    request,
                    f"The list now holds {len(ids)} worker{pluralize(len(ids))}, not the"
                    f" {expected or 0} counted: check it, then send.",
                )
            count = len(ids)
            if not form.errors:
                # Shown again, deduplicated, with the count the button now carries.
                form = MessageManyForm(
                    {**request.POST.dict(), "worker_ids": "\n".join(ids), "expected": count}
                )
                form.is_valid()
    else:
        initial = {}
        if batch is not None:
            ids = selectors.batch_worker_ids(membership.requester, batch.launch_key)
            count = len(ids)
            initial = {"worker_ids": "\n".join(ids), "expected": count}
        form = MessageManyForm(initial=initial)
    return render(
        request,
        "workers/message_many.html",
        {
            "form": form,
            "batch": batch,
            "count": count,
            "requester": membership.requester,
            "max_workers": f"{MESSAGE_MANY_MAX:,}",
        },
    )


@require_GET
def workers_message_result(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(WorkerMessage, pk=pk)
    membership = membership_for(user=request.user, requester_id=message.requester_id)
    failures = sorted(message.failures.items())
    return render(
        request,
        "workers/message_result.html",
        {
            "sent_message": message,
            "failures": failures,
            "requester": membership.requester,
            "can_act": role_allows(membership.role, Action.WORKERS),
        },
    )


@require_POST
def worker_compensate(request: HttpRequest, worker_id: str) -> HttpResponse:
    membership = current_membership_for(request, Action.SPEND)
    form = CompensationForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(
                [f"{form[name].label}: {e}" for name, errors in form.errors.items() for e in errors]
            )
        compensation = compensation_create(
            membership=membership,
            actor=request.user,
            worker_id=worker_id,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(
            request,
            f"Compensation HIT {compensation.hit_mturk_id} of {money(compensation.amount)} made:"
            f" only {worker_id} can see it; MTurk pays on submission.",
        )
    except (ValidationError, MTurkError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return _done(request, worker_id)
