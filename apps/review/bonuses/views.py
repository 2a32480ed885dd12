"""Bonuses: one from a review card, many from an uploaded CSV or by a rule over a batch, and
the page of such a bonus batch (priced, then paid as a job)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from apps.batches.models import Batch
from apps.batches.pay.rewards import rate_clean
from apps.hits.models import Assignment
from apps.mturk.errors import MTurkError
from apps.requesters.access import current_membership_for, membership_for
from apps.requesters.models import Membership
from apps.requesters.roles import Action, role_allows
from apps.requesters.services import CredentialsMissing, SpendingRefused, requester_balance
from apps.review.bonuses import bulk, by_rule, services, topup
from apps.review.bonuses.forms import BatchBonusForm, BonusForm
from apps.review.decisions.services import refusal_text
from apps.review.decisions.views import assignment_for, card_response
from apps.review.models import BonusBatch, BonusPayment
from mturkdash.templatetags import money


@require_POST
def bonus(request: HttpRequest, pk: int) -> HttpResponse:
    membership, assignment = assignment_for(request, pk, Action.BONUS)
    form = BonusForm(request.POST)
    if not form.is_valid():
        return card_response(request, membership, assignment, error=_form_errors(form))
    above_cap = services.bonus_above_cap(
        requester=membership.requester,
        assignment_mturk_id=assignment.mturk_id,
        amount=form.cleaned_data["amount"],
    )
    if (
        above_cap is not None
        and role_allows(membership.role, Action.SPEND)
        and not form.cleaned_data["confirm"]
    ):
        # A manager may pay past the reviewers' cap, once they have seen the amount: a form
        # posted without `confirm` pays nothing and asks. (A reviewer is refused below.)
        return _bonus_confirm(request, membership, assignment, form, above_cap)
    try:
        payment = services.bonus_send(
            membership=membership,
            actor=request.user,
            worker_id=assignment.worker_id,
            assignment_mturk_id=assignment.mturk_id,
            hit_mturk_id=assignment.hit.mturk_id,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            form_nonce=form.cleaned_data["token"] or None,
        )
    except (ValidationError, SpendingRefused) as exc:
        return card_response(request, membership, assignment, error=refusal_text(exc))
    except MTurkError as exc:
        return card_response(
            request, membership, assignment, error=f"The bonus is not confirmed yet: {exc}"
        )
    if payment.status == BonusPayment.Status.FAILED:
        return card_response(
            request,
            membership,
            assignment,
            error=f"MTurk refused this bonus of {money(payment.amount)}: {payment.error}",
        )
    return card_response(
        request, membership, assignment, notice=f"Bonus of {money(payment.amount)} paid."
    )


def _bonus_confirm(
    request: HttpRequest,
    membership: Membership,
    assignment: Assignment,
    form: BonusForm,
    above_cap: services.AboveCap,
) -> HttpResponse:
    """The question before a bonus past the reviewers' cap: the card with the amount, the cap and
    the cost, and a button that posts the same bonus again with `confirm` (HTMX); the confirm
    page without JavaScript."""
    posted = {
        "amount": f"{form.cleaned_data['amount']:.2f}",
        "reason": form.cleaned_data["reason"],
        "token": form.cleaned_data["token"],
    }
    if request.htmx:
        return card_response(
            request, membership, assignment, bonus_confirm={"over": above_cap, "post": posted}
        )
    next_url = request.POST.get("next") or ""
    return render(
        request,
        "review/confirm.html",
        {
            "above_cap": above_cap,
            "post": [*posted.items(), *([("next", next_url)] if next_url else [])],
            "confirm_name": "confirm",
        },
    )


def _form_errors(form) -> str:
    """A bonus form's errors in words: the amount's own (not a number, too many decimals, too
    large) rather than a generic refusal."""
    if "mode" in form.errors:
        return "Choose how to count the bonus."
    labels = {"amount": "Amount", "reason": "Reason", "token": "Form"}
    return " ".join(
        f"{labels.get(name, name)}: {error}"
        for name, errors in form.errors.items()
        for error in errors
    )


def bonus_upload(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request, Action.BONUS)
    if membership is None:
        return redirect("home")
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationError("Choose the CSV file to upload.")
            batch = bulk.bonus_csv_read(membership=membership, actor=request.user, upload=upload)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect("review-bonus-batch", pk=batch.pk)
    return render(request, "review/bonus_upload.html", {"requester": membership.requester})


@require_POST
def batch_bonus_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Bonuses by a rule over a batch's approved assignments, made for preview."""
    batch = get_object_or_404(Batch.objects.select_related("requester", "project"), pk=pk)
    membership = membership_for(
        user=request.user, requester_id=batch.requester_id, action=Action.BONUS
    )
    form = BatchBonusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect("review-batch", pk=batch.pk)
    try:
        bonus_batch = by_rule.batch_bonus_build(
            membership=membership, actor=request.user, batch=batch, **form.cleaned_data
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("review-batch", pk=batch.pk)
    return redirect("review-bonus-batch", pk=bonus_batch.pk)


def _bonus_batch_for(
    request: HttpRequest, pk: int, action: Action = Action.VIEW
) -> tuple[Membership, BonusBatch]:
    batch = get_object_or_404(BonusBatch, pk=pk)
    return membership_for(user=request.user, requester_id=batch.requester_id, action=action), batch


@require_GET
def bonus_batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership, batch = _bonus_batch_for(request, pk)
    if request.htmx:
        context = _bonus_batch_context(membership, batch, polling=True)
        return render(request, "review/bonus_batch.html#status", context)
    return render(request, "review/bonus_batch.html", _bonus_batch_context(membership, batch))


def _bonus_batch_context(
    membership: Membership, batch: BonusBatch, *, polling: bool = False, **extra
) -> dict:
    """The page of a bonus batch; the balance is asked of MTurk while it is in preview, unless
    `polling` (the status part, every second while paying)."""
    balance = balance_error = None
    if batch.status == BonusBatch.Status.PREVIEW and not polling:
        try:
            balance = requester_balance(requester=membership.requester, refresh=True)
        except (MTurkError, CredentialsMissing) as exc:
            balance_error = str(exc)
    return {
        "batch": batch,
        "balance": balance,
        "balance_error": balance_error,
        "preview": bulk.bonus_batch_preview(membership=membership, batch=batch),
        "progress": bulk.bonus_batch_progress(batch),
        "can_pay": role_allows(membership.role, Action.BONUS),
        **extra,
    }


@require_POST
def bonus_batch_pay(request: HttpRequest, pk: int) -> HttpResponse:
    membership, batch = _bonus_batch_for(request, pk, Action.BONUS)
    try:
        started = bulk.bonus_batch_pay_start(
            membership=membership,
            actor=request.user,
            batch=batch,
            confirmed=request.POST.get("confirm") == "1",
        )
    except bulk.AboveCapConfirmationRequired:
        # Nothing paid: the page again, asking about the bonuses past the reviewers' cap.
        return render(
            request,
            "review/bonus_batch.html",
            _bonus_batch_context(membership, batch, confirm_above_cap=True),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("review-bonus-batch", pk=batch.pk)
    if started:
        messages.success(request, f"Paying {len(batch.rows)} bonuses.")
    return redirect("review-bonus-batch", pk=batch.pk)


def _topup_rate(request: HttpRequest, membership: Membership, data) -> Decimal:
    return rate_clean(data.get("rate"), default=membership.requester.target_hourly_rate)


@require_GET
def batch_topup(request: HttpRequest, pk: int) -> HttpResponse:
    """The top-up of a batch to an hourly rate, before anything is paid: how many approved
    assignments paid under it for their measured time, the total with fees, the first few."""
    batch = get_object_or_404(Batch.objects.select_related("requester", "project"), pk=pk)
    membership = membership_for(
        user=request.user, requester_id=batch.requester_id, action=Action.SPEND
    )
    error = None
    try:
        rate = _topup_rate(request, membership, request.GET)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        rate = membership.requester.target_hourly_rate
    return render(
        request,
        "review/topup.html",
        {
            "batch": batch,
            "requester": batch.requester,
            "preview": topup.topup_preview(batch, rate=rate),
            "rate_error": error,
        },
    )


@require_POST
def batch_topup_pay(request: HttpRequest, pk: int) -> HttpResponse:
    """Pay the previewed top-up as a job: each assignment once, ever."""
    batch = get_object_or_404(Batch.objects.select_related("requester", "project"), pk=pk)
    membership = membership_for(
        user=request.user, requester_id=batch.requester_id, action=Action.SPEND
    )
    try:
        rate = _topup_rate(request, membership, request.POST)
        bonus_batch = topup.topup_start(
            membership=membership, actor=request.user, batch=batch, rate=rate
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        url = reverse("review-batch-topup", args=[batch.pk])
        return redirect(f"{url}?{urlencode({'rate': request.POST.get('rate', '')[:12]})}")
    messages.success(
        request,
        f"Topping up {len(bonus_batch.rows)} assignment{'s' if len(bonus_batch.rows) != 1 else ''}"
        f" to {money(rate)}/h.",
    )
    return redirect("review-bonus-batch", pk=bonus_batch.pk)
