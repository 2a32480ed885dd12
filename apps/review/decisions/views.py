"""The review queue and its cards, approve and reject, bulk jobs, and the review CSV round trip.

A card's actions (approve, reject, and the bonus of `apps.review.bonuses.views`) answer with the
card they changed (`card_response`), or back to the page without JavaScript.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.hits.models import Assignment
from apps.mturk.errors import MTurkError
from apps.requesters.access import current_membership, current_membership_for, membership_for
from apps.requesters.models import Membership
from apps.requesters.roles import Action, role_allows
from apps.requesters.services import CredentialsMissing, SpendingRefused
from apps.review import drawing
from apps.review.bonuses.selectors import bonus_totals_by_assignment
from apps.review.bonuses.services import bonus_room_left
from apps.review.decisions import bulk, csvround, selectors, services
from apps.review.decisions.forms import DecisionForm, ReviewFilterForm
from apps.review.models import BulkReview, FeedbackReason
from apps.review.quality.gold import gold_for_assignments
from apps.workers.models import Worker
from mturkdash.exports import csv_response

PAGE_SIZE = 50


_ID_PLACEHOLDER = 987654321987
_WORKER_PLACEHOLDER = "AWORKERPLACEHOLDER987654321"
# What the worker page's address takes (`workers.urls.WorkerIdConverter`); a worker id of any
# other shape (only a broken or hostile MTurk sends one) is shown as text, not linked.
_LINKABLE_WORKER = re.compile(r"[A-Za-z0-9]{1,64}")


def _card_url_makers() -> dict[str, str]:
    """Each card URL reversed once per page rather than per card (seven reverses a card were a
    sixth of the page's rendering time); a card fills in its ids."""
    makers = {}
    for key, name in (
        ("approve", "review-approve"),
        ("reject", "review-reject"),
        ("bonus", "review-bonus"),
        ("hit", "hits-detail"),
    ):
        head, tail = reverse(name, args=[_ID_PLACEHOLDER]).split(str(_ID_PLACEHOLDER))
        makers[key] = f"{head}{{}}{tail}"
    head, tail = reverse("workers-detail", args=[_WORKER_PLACEHOLDER]).split(_WORKER_PLACEHOLDER)
    makers["worker"] = f"{head}{{}}{tail}"
    return makers


def _reason_options(reasons: Iterable[FeedbackReason]) -> str:
    """The saved reasons as <option>s, built once for every card of a page."""
    return format_html_join(
        "",
        '<option value="{}">{}</option>',
        ((r.text, Truncator(r.text).chars(60)) for r in reasons),
    )


def _answer_rows(assignment: Assignment) -> list[tuple[str, str, bool, dict | None]]:
    """(field, answer as text, whether it is long enough to fold, the uploaded file's key and
    size when the answer is a file) for each answer field."""
    rows = []
    files = assignment.file_answers or {}
    for name, value in assignment.answers.items():
        text = _answer_text(name, value)
        rows.append((name, text, len(text) > 300, files.get(name)))
    return rows


def _answer_text(name: str, value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if name.endswith(".pngImageData") and isinstance(value, str):
        # A segmentation's labels, painted on a PNG: tens of kilobytes of base64 say nothing.
        return f"A PNG image of {filesizeformat(len(value) * 3 // 4)} (the painted labels)"
    return str(value)


@require_GET
def file_answer(request: HttpRequest, pk: int, identifier: str) -> HttpResponse:
    """A worker's uploaded file: MTurk hands out a link valid for a minute (GetFileUploadURL),
    so it is asked for at the click and the browser sent on to it."""
    membership = current_membership_for(request)
    if membership is None:
        return redirect("home")
    assignment = get_object_or_404(Assignment, pk=pk, requester=membership.requester)
    if identifier not in (assignment.file_answers or {}):
        raise Http404("That answer is not a file.")
    back = f"{reverse('review-queue')}?hit={assignment.hit.mturk_id}&status="
    try:
        url = services.answer_file_url(
            membership=membership, assignment=assignment, identifier=identifier
        )
    except (MTurkError, CredentialsMissing) as exc:
        messages.error(request, f"MTurk did not hand out the file: {exc}")
        return redirect(back)
    if not url.startswith(("https://", "http://")):
        messages.error(request, "MTurk answered without a link to the file.")
        return redirect(back)
    return HttpResponseRedirect(url)


def _card(
    membership: Membership,
    assignment: Assignment,
    worker: Worker | None,
    reasons: str,
    *,
    urls: dict[str, str] | None = None,
    bonused: Decimal | None = None,
    **extra,
) -> dict:
    """What a card shows; `reasons` is `_reason_options(...)`, `bonused` what the account has
    paid or is paying in bonuses on the assignment (`bonus_totals_by_assignment`)."""
    now = timezone.now()
    deadline = assignment.auto_approval_time
    urls = urls or _card_url_makers()
    submitted = assignment.submit_time
    return {
        "a": assignment,
        "answers": _answer_rows(assignment),
        "submitted": timezone.localtime(submitted).strftime("%Y-%m-%d %H:%M") if submitted else "",
        "urls": {
            "approve": urls["approve"].format(assignment.pk),
            "reject": urls["reject"].format(assignment.pk),
            "bonus": urls["bonus"].format(assignment.pk),
            "hit": urls["hit"].format(assignment.hit_id),
            "worker": urls["worker"].format(assignment.worker_id)
            if _LINKABLE_WORKER.fullmatch(assignment.worker_id or "")
            else "",
        },
        "worker": worker,
        "now": now,
        "due_soon": bool(
            deadline and assignment.status == "Submitted" and deadline - now < selectors.SOON
        ),
        "can_review": role_allows(membership.role, Action.REVIEW),
        "can_bonus": role_allows(membership.role, Action.BONUS),
        "reasons": reasons,
        # One nonce per rendered bonus form: a double submit pays once. The payment's token is
        # made from it on the server (`bonuses.services.bonus_token`).
        "bonus_token": secrets.token_urlsafe(24),
        **_bonus_room(membership, bonused or Decimal("0.00")),
        **extra,
    }


def _drawings(assignments: list[Assignment]) -> dict[int, drawing.Drawing]:
    """Each card's drawn answer, by assignment (a HIT of no batch has none): a row's task read
    once, and the other workers' answers (layers of shapes and masks) in one query."""
    specs = drawing.SpecCache()
    layered = [
        a.hit_id
        for a in assignments
        if (row := drawing.batch_row(a.hit)) is not None
        and drawing.needs_layers(specs.for_row(row))
    ]
    work = selectors.hit_work(layered) if layered else {}
    drawings = {}
    for a in assignments:
        drawn = drawing.assignment_drawing(a, others=work.get(a.hit_id, ()), specs=specs)
        if drawn is not None:
            drawings[a.pk] = drawn
    return drawings


def allow_media(response: HttpResponse, drawings: Iterable[drawing.Drawing | None]) -> None:
    """Let the page load the images and sounds its drawings show, from their origins only."""
    policy = drawing.media_policy(drawings)
    if policy:
        response._csp_update = policy


def _bonus_room(membership: Membership, bonused: Decimal) -> dict:
    """The card's bonus figures, as text with two decimals: what is paid on the assignment and,
    for a reviewer (whose bonuses on one assignment all together stay within the account's
    cap), what they may still add."""
    figures = {"bonused": f"{bonused:.2f}" if bonused else "", "bonus_room": ""}
    if role_allows(membership.role, Action.BONUS) and not role_allows(
        membership.role, Action.SPEND
    ):
        cap = membership.requester.bonus_cap
        figures["bonus_cap"] = f"{cap:.2f}"
        figures["bonus_room"] = f"{bonus_room_left(cap=cap, paid=bonused):.2f}"
    return figures


def _card_context(
    membership: Membership,
    assignment: Assignment,
    *,
    notice: str = "",
    error: str = "",
    decided: bool = False,
    bonus_confirm: dict | None = None,
) -> dict:
    workers = selectors.workers_by_id(membership.requester, {assignment.worker_id})
    reasons = _reason_options(selectors.feedback_reasons(membership.requester))
    return _card(
        membership,
        assignment,
        workers.get(assignment.worker_id),
        reasons,
        drawing=_drawings([assignment]).get(assignment.pk),
        gold=gold_for_assignments([assignment]).get(assignment.pk),
        bonused=bonus_totals_by_assignment(membership.requester, [assignment.mturk_id]).get(
            assignment.mturk_id
        ),
        notice=notice,
        error=error,
        decided=decided,
        bonus_confirm=bonus_confirm,
    )


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    membership = current_membership(request)
    if membership is None:
        messages.info(request, "Choose an account first.")
        return redirect("home")
    requester = membership.requester
    form = ReviewFilterForm(request.GET or None, requester=requester)
    filters = form.filters()
    page = selectors.review_page(
        selectors.review_queue(requester, filters=filters),
        request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    workers = selectors.workers_by_id(requester, {a.worker_id for a in page})
    golds = gold_for_assignments(list(page))
    reasons = _reason_options(selectors.feedback_reasons(requester))
    urls = _card_url_makers()
    bonused = bonus_totals_by_assignment(requester, [a.mturk_id for a in page])
    drawings = _drawings(list(page))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "requester": requester,
        "cards": [
            _card(
                membership,
                a,
                workers.get(a.worker_id),
                reasons,
                urls=urls,
                drawing=drawings.get(a.pk),
                gold=golds.get(a.pk),
                bonused=bonused.get(a.mturk_id),
            )
            for a in page
        ],
        "batch": filters.get("batch"),
        "soon": selectors.auto_approving_soon(requester),
        "can_review": role_allows(membership.role, Action.REVIEW),
        "can_bonus": role_allows(membership.role, Action.BONUS),
    }
    if request.htmx and not request.htmx.boosted:
        if drawing.media_policy(drawings.values()):
            # The page's policy was set when it loaded: images from other origins need the
            # page loaded again, with a policy that names them.
            return HttpResponseClientRedirect(request.get_full_path())
        return render(request, "review/queue.html#cards", context)
    response = render(request, "review/queue.html", context)
    allow_media(response, drawings.values())
    return response


def assignment_for(
    request: HttpRequest, pk: int, action: Action = Action.REVIEW
) -> tuple[Membership, Assignment]:
    """The assignment and the person's membership of its account, allowed `action` (else 404
    or PermissionDenied)."""
    assignment = get_object_or_404(Assignment.objects.select_related("hit", "hit__hit_type"), pk=pk)
    membership = membership_for(
        user=request.user, requester_id=assignment.requester_id, action=action
    )
    return membership, assignment


def card_response(
    request: HttpRequest,
    membership: Membership,
    assignment: Assignment,
    *,
    notice: str = "",
    error: str = "",
    decided: bool = False,
    bonus_confirm: dict | None = None,
) -> HttpResponse:
    """An action's answer: the card it changed (HTMX), or back where the person was, with the
    notice or the error as a message. A card `decided` by the action shrinks to one line (its
    status, what was done), the rest folded under it; `bonus_confirm` (HTMX only) asks before a
    bonus past the reviewers' cap: {"over": AboveCap, "post": the bonus form's fields}."""
    fresh = Assignment.objects.select_related("hit", "hit__hit_type").get(pk=assignment.pk)
    if request.htmx:
        context = _card_context(
            membership,
            fresh,
            notice=notice,
            error=error,
            decided=decided,
            bonus_confirm=bonus_confirm,
        )
        return render(request, "review/_card.html", context)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    target = request.POST.get("next") or ""
    # Only back to a page of this site: a forged `next` is no way out to another one.
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        target = "review-queue"
    return redirect(target)


def _feedback(membership: Membership, form: DecisionForm) -> str:
    feedback = form.cleaned_data.get("feedback") or form.cleaned_data.get("reason") or ""
    if feedback and form.cleaned_data.get("save_reason"):
        services.feedback_reason_save(membership=membership, text=feedback)
    return feedback


def _decide(
    request: HttpRequest, pk: int, decide: Callable[..., services.DecisionOutcome], verb: str
) -> HttpResponse:
    membership, assignment = assignment_for(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        # Too long, or a NUL: say so rather than treat the feedback as missing.
        errors = [f"Feedback: {e}" for errs in form.errors.values() for e in errs]
        return card_response(request, membership, assignment, error=" ".join(errors))
    try:
        outcome = decide(
            membership=membership,
            assignment=assignment,
            actor=request.user,
            feedback=_feedback(membership, form),
        )
    except (ValidationError, SpendingRefused) as exc:
        return card_response(request, membership, assignment, error=services.refusal_text(exc))
    except MTurkError as exc:
        return card_response(
            request, membership, assignment, error=f"MTurk did not {verb} it: {exc}"
        )
    return card_response(
        request, membership, assignment, notice=outcome.message, decided=outcome.done
    )


@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.assignment_approve, "approve")


@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, services.assignment_reject, "reject")


@require_POST
def bulk_start(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request, Action.REVIEW)
    if membership is None:
        return redirect("home")
    action = request.POST.get("action")
    feedback = request.POST.get("feedback", "")
    if request.POST.get("scope") == "all":
        form = ReviewFilterForm(request.POST, requester=membership.requester)
        if not form.is_valid():
            # "All matching" must match what the person filtered, never the whole queue.
            messages.error(request, "The filter is not valid: nothing was reviewed.")
            return redirect("review-queue")
        ids = list(
            selectors.review_queue(membership.requester, filters=form.filters()).values_list(
                "pk", flat=True
            )
        )
    else:
        ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    confirmed = request.POST.get("confirmed") == "1"
    posted = [
        (k, v)
        for k in request.POST
        for v in request.POST.getlist(k)
        if k not in {"csrfmiddlewaretoken", "count"}
    ]
    if request.POST.get("scope") == "all" and action == "approve" and ids:
        # "All matching" can be thousands: the person sees the number and the money first, and
        # the yes approves that number; if work arrived meanwhile, they are asked again.
        changed = confirmed and request.POST.get("count") != str(len(ids))
        if not confirmed or changed:
            return render(
                request,
                "review/confirm.html",
                {
                    "approvals": bulk.approvals_cost(membership.requester, ids),
                    "changed": changed,
                    "post": [*posted, ("count", str(len(ids)))],
                    "confirm_label": f"Yes, approve {len(ids)}",
                },
            )
    items = [{"id": pk, "action": action, "feedback": feedback} for pk in ids]
    try:
        job = bulk.bulk_review_start(
            membership=membership, actor=request.user, items=items, confirmed=confirmed
        )
    except bulk.ConfirmationRequired as exc:
        return render(request, "review/confirm.html", {"message": str(exc), "post": posted})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("review-queue")
    return redirect("review-job", pk=job.pk)


def _job_for(
    request: HttpRequest, pk: int, action: Action = Action.VIEW
) -> tuple[Membership, BulkReview]:
    job = get_object_or_404(BulkReview, pk=pk)
    return membership_for(user=request.user, requester_id=job.requester_id, action=action), job


@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership, job = _job_for(request, pk)
    context = {
        "job": job,
        "can_review": role_allows(membership.role, Action.REVIEW),
        "progress": bulk.bulk_review_progress(job),
        "failures": job.outcomes.filter(result="failed")[:100],
        "counts": {a: sum(1 for i in job.items if i["action"] == a) for a in ("approve", "reject")},
    }
    if request.htmx:
        return render(request, "review/job.html#progress", context)
    return render(request, "review/job.html", context)


@require_POST
def job_apply(request: HttpRequest, pk: int) -> HttpResponse:
    membership, job = _job_for(request, pk, Action.REVIEW)
    try:
        bulk.bulk_review_apply(
            membership=membership,
            actor=request.user,
            job=job,
            confirmed=request.POST.get("confirmed") == "1",
        )
    except bulk.ConfirmationRequired as exc:
        return render(
            request,
            "review/confirm.html",
            {"message": str(exc), "post": [("confirmed", "1")], "action_url": request.path},
        )
    return redirect("review-job", pk=job.pk)


@require_POST
def job_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    membership, job = _job_for(request, pk, Action.REVIEW)
    if bulk.bulk_review_cancel(membership=membership, job=job, actor=request.user):
        messages.success(request, "Stopped. Decisions already sent to MTurk stay as they are.")
    return redirect("review-job", pk=job.pk)


@require_GET
def review_export(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request)
    if membership is None:
        return redirect("home")
    form = ReviewFilterForm(request.GET or None, requester=membership.requester)
    header, rows = csvround.review_csv_header_and_rows(
        selectors.review_queue(membership.requester, filters=form.filters())
    )
    return csv_response(f"review-{membership.requester.pk}.csv", header, rows)


def review_import(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request, Action.REVIEW)
    if membership is None:
        return redirect("home")
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose the CSV file to upload.")
        else:
            try:
                job = csvround.review_csv_import(
                    membership=membership, actor=request.user, upload=upload
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                return redirect("review-job", pk=job.pk)
    return render(request, "review/import.html", {"requester": membership.requester})
