"""Bonuses: one from a review card, many from an uploaded CSV or by a rule over a batch, and
the page of such a bonus batch (priced, then paid as a job)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.batches.models import Batch
from apps.mturk.errors import MTurkError
from apps.requesters.access import current_membership_for, membership_for
from apps.requesters.models import Membership
from apps.requesters.roles import Action, role_allows
from apps.requesters.services import CredentialsMissing, SpendingRefused, requester_balance
from apps.review.bonuses import bulk, by_rule, services
from apps.review.bonuses.forms import BatchBonusForm, BonusForm
from apps.review.decisions.services import refusal_text
from apps.review.decisions.views import assignment_for, card_response
from apps.review.models import BonusBatch, BonusPayment


@require_POST
def bonus(request: HttpRequest, pk: int) -> HttpResponse:
    membership, assignment = assignment_for(request, pk, Action.BONUS)
    form = BonusForm(request.POST)
    if not form.is_valid():
        return card_response(request, membership, assignment, error=_form_errors(form))
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
            error=f"MTurk refused this bonus of ${payment.amount:.2f}: {payment.error}",
        )
    return card_response(
        request, membership, assignment, notice=f"Bonus of ${payment.amount:.2f} paid."
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
    balance = balance_error = None
    if batch.status == BonusBatch.Status.PREVIEW and not request.htmx:
        try:
            balance = requester_balance(requester=membership.requester, refresh=True)
        except (MTurkError, CredentialsMissing) as exc:
            balance_error = str(exc)
    context = {
        "batch": batch,
        "balance": balance,
        "balance_error": balance_error,
        "preview": bulk.bonus_batch_preview(membership=membership, batch=batch),
        "progress": bulk.bonus_batch_progress(batch),
        "can_pay": role_allows(membership.role, Action.BONUS),
    }
    if request.htmx:
        return render(request, "review/bonus_batch.html#status", context)
    return render(request, "review/bonus_batch.html", context)


@require_POST
def bonus_batch_pay(request: HttpRequest, pk: int) -> HttpResponse:
    membership, batch = _bonus_batch_for(request, pk, Action.BONUS)
    try:
        started = bulk.bonus_batch_pay_start(membership=membership, actor=request.user, batch=batch)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("review-bonus-batch", pk=batch.pk)
    if started:
        messages.success(request, f"Paying {len(batch.rows)} bonuses.")
    return redirect("review-bonus-batch", pk=batch.pk)
