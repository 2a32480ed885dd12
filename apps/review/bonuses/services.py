"""Bonuses one by one: paid exactly once, the money checked and recorded before the call.

A bonus carries a UniqueRequestToken committed with its row before SendBonus. A retry reuses it;
MTurk's "duplicate request" answer means the first call paid. Past MTurk's 24-hour token window a
retry first looks for the payment in ListBonusPayments. A payment that certainly did not happen
is followed by an opposite audit entry, so the day's sum stays true and the log append-only.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.mturk import fees
from apps.mturk.errors import MTurkDuplicateRequest, MTurkError
from apps.requesters.models import Membership, Requester
from apps.requesters.services import requester_gateway, spend_authorize
from apps.review.decisions.services import feedback_clean
from apps.review.models import BonusPayment

TOKEN_LIFETIME = timedelta(hours=24)


def bonus_amount_clean(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip().lstrip("$"))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{value!r} is not an amount of dollars.") from None
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationError("A bonus is a positive amount in dollars and cents.")
    return amount


def bonus_send(
    *,
    membership: Membership,
    actor,
    worker_id: str,
    assignment_mturk_id: str,
    amount,
    reason: str,
    token: str | None = None,
    hit_mturk_id: str = "",
) -> BonusPayment:
    """Pay a bonus exactly once. The row and its token are committed before SendBonus.

    Calling again with the same `token` (a retried task, a double click) returns the same
    payment and pays nothing more.
    """
    amount = bonus_amount_clean(amount)
    reason = feedback_clean(reason, required=True)
    token = token or f"bonus-{uuid.uuid4().hex}"
    existing = BonusPayment.objects.filter(unique_request_token=token).first()
    if existing is not None:
        return (
            bonus_deliver(payment=existing, actor=actor)
            if existing.status == BonusPayment.Status.PENDING
            else existing
        )
    cost = fees.bonus_cost(amount)
    with transaction.atomic():
        spend_authorize(membership=membership, amount=cost.rewards, fee=cost.fees, bonus=True)
        payment = BonusPayment.objects.create(
            requester=membership.requester,
            worker_id=worker_id,
            assignment_mturk_id=assignment_mturk_id,
            hit_mturk_id=hit_mturk_id,
            amount=amount,
            reason=reason,
            unique_request_token=token,
        )
        audit_record(
            actor=actor,
            requester=membership.requester,
            action="bonus.send",
            target_type="assignment",
            target_id=assignment_mturk_id,
            amount=cost.rewards,
            fee=cost.fees,
            details={"worker": worker_id, "reason": reason, "token": token, "payment": payment.pk},
        )
    return bonus_deliver(payment=payment, actor=actor)


def bonus_deliver(*, payment: BonusPayment, actor=None, attempts: int = 3) -> BonusPayment:
    """Send a pending payment to MTurk with its stored token (the retry path too)."""
    gateway = requester_gateway(payment.requester)
    if timezone.now() - payment.created_at > TOKEN_LIFETIME and _bonus_found(gateway, payment):
        return _bonus_mark_sent(payment)
    if timezone.now() - payment.created_at > TOKEN_LIFETIME:
        # MTurk forgot the token, and the payment is not there: a fresh token is safe now.
        payment.unique_request_token = f"bonus-{uuid.uuid4().hex}"
        BonusPayment.objects.filter(pk=payment.pk).update(
            unique_request_token=payment.unique_request_token
        )
    last_error: MTurkError | None = None
    for _ in range(attempts):
        try:
            gateway.call(
                "send_bonus",
                WorkerId=payment.worker_id,
                BonusAmount=f"{payment.amount:.2f}",
                AssignmentId=payment.assignment_mturk_id,
                Reason=payment.reason,
                UniqueRequestToken=payment.unique_request_token,
            )
            return _bonus_mark_sent(payment)
        except MTurkDuplicateRequest:
            return _bonus_mark_sent(payment)
        except MTurkError as exc:
            last_error = exc
            if not (exc.retryable or exc.outcome_unknown):
                break
    assert last_error is not None
    if last_error.outcome_unknown or last_error.retryable:
        # Still pending: `bonuses_retry_pending` sends it again with the same token.
        BonusPayment.objects.filter(pk=payment.pk).update(error=str(last_error)[:2000])
        raise last_error
    updated = BonusPayment.objects.filter(pk=payment.pk, status=BonusPayment.Status.PENDING).update(
        status=BonusPayment.Status.FAILED, error=str(last_error)[:2000]
    )
    if updated:
        audit_record(
            actor=actor,
            requester=payment.requester,
            action="bonus.send.undone",
            target_type="assignment",
            target_id=payment.assignment_mturk_id,
            amount=-payment.amount,
            fee=-fees.bonus_fee(payment.amount),
            details={"reason": str(last_error)[:500], "payment": payment.pk},
        )
    raise last_error


def _bonus_found(gateway, payment: BonusPayment) -> bool:
    return any(
        listed.get("WorkerId") == payment.worker_id
        and Decimal(listed["BonusAmount"]) == payment.amount
        and listed.get("Reason", payment.reason) == payment.reason
        for listed in gateway.paginate(
            "list_bonus_payments", AssignmentId=payment.assignment_mturk_id
        )
    )


def _bonus_mark_sent(payment: BonusPayment) -> BonusPayment:
    BonusPayment.objects.filter(pk=payment.pk).update(
        status=BonusPayment.Status.SENT, granted_at=timezone.now(), error=""
    )
    payment.refresh_from_db()
    return payment


def bonuses_retry_pending(*, requester: Requester) -> int:
    """Deliver payments left pending by a crash or an unreachable MTurk; returns how many were sent."""
    sent = 0
    for payment in BonusPayment.objects.filter(
        requester=requester, status=BonusPayment.Status.PENDING
    ):
        try:
            if bonus_deliver(payment=payment).status == BonusPayment.Status.SENT:
                sent += 1
        except MTurkError:
            continue
    return sent


def bonuses_retry_pending_all() -> None:
    """Deliver the bonuses of every account left pending by a crash or an outage (beat)."""
    for requester in Requester.objects.all():
        bonuses_retry_pending(requester=requester)
