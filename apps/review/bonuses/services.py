"""Bonuses one by one: paid exactly once, the money checked and recorded before the call.

A bonus carries a UniqueRequestToken committed with its row before SendBonus. A retry reuses it;
MTurk's "duplicate request" answer means the first call paid. Past MTurk's 24-hour token window a
retry first looks for the payment in ListBonusPayments, then sends a token derived for the new
window (`bonus_call_token`), the same for every retry in it. A payment that certainly did not happen
is followed by an opposite audit entry, so the day's sum stays true and the log append-only.

Tokens are the server's: random, stored before the call (a bonus batch's rows), or an HMAC with
the server's secret over the account, the assignment, the worker, the amount and the nonce a
bonus form carries (`bonus_token`). A payment is found again by its token only within that
account, assignment, worker and amount, so no one's token can stand for anyone else's payment.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from apps.audit.services import audit_record
from apps.mturk import fees
from apps.mturk.errors import MTurkDuplicateRequest, MTurkError
from apps.requesters.models import Membership, Requester
from apps.requesters.roles import Action, role_allows
from apps.requesters.services import SpendingRefused, requester_gateway, spend_authorize
from apps.review.bonuses.selectors import bonus_totals_by_assignment
from apps.review.decisions.services import feedback_clean
from apps.review.models import BonusPayment

TOKEN_LIFETIME = timedelta(hours=24)
# The most one bonus (or one compensation HIT's reward) may be: a typo's guard, far above any
# bonus a study pays, and well inside what the amount columns hold.
AMOUNT_MAX = Decimal("10000.00")
# Dollars and cents as MTurk takes them (`^[0-9]+(\.)?[0-9]{0,2}$`), or ".50".
_AMOUNT = re.compile(r"(?:[0-9]{1,15}(?:\.[0-9]{0,2})?|\.[0-9]{1,2})")
_NONCE_MAX = 100


def bonus_amount_clean(value, *, what: str = "A bonus") -> Decimal:
    """The amount as Decimal dollars and cents, or ValidationError: only finite, positive amounts
    of at most two decimals and at most `AMOUNT_MAX` (no NaN, Infinity, exponents, "-1", "0",
    "0.001"). Every bonus and compensation path cleans its amounts here."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f") if value.is_finite() else str(value)
    else:
        text = str(value if value is not None else "").strip()
        text = text.removeprefix("$").strip()
    if not _AMOUNT.fullmatch(text):
        shown = str(value)[:20]
        raise ValidationError(
            f"{what} is a positive amount in dollars and cents. {shown!r} is not one (try 1.25)."
        )
    try:
        amount = Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:  # unreachable with the pattern above; never a 500 all the same
        raise ValidationError(f"{what} is a positive amount in dollars and cents.") from None
    if amount <= 0:
        raise ValidationError(f"{what} is a positive amount in dollars and cents.")
    if amount > AMOUNT_MAX:
        raise ValidationError(f"{what} is at most ${AMOUNT_MAX:,.2f}, not ${amount:,.2f}.")
    return amount


def bonus_token(
    *, requester_id: int, assignment_mturk_id: str, worker_id: str, amount: Decimal, nonce: str
) -> str:
    """The UniqueRequestToken of a bonus form's payment: an HMAC with the server's secret over
    the account, the assignment, the worker, the amount and the form's nonce.

    The nonce comes from the client (the card hands out a random one), so it is never a token
    by itself: the same form posted twice gives the same token (one payment), while the token
    of another account's payment, or this nonce with another worker or amount, gives a token
    of its own (a payment of its own).
    """
    value = f"{requester_id}|{assignment_mturk_id}|{worker_id}|{amount:.2f}|{nonce}"
    digest = salted_hmac("apps.review.bonuses.bonus_token", value, algorithm="sha256")
    return f"bonus-{digest.hexdigest()[:40]}"


def bonus_total_on_assignment(*, requester: Requester, assignment_mturk_id: str) -> Decimal:
    """What this account has paid or is paying in bonuses on the assignment."""
    totals = bonus_totals_by_assignment(requester, [assignment_mturk_id])
    return totals.get(assignment_mturk_id, Decimal("0.00"))


def bonus_room_left(*, cap: Decimal, paid: Decimal) -> Decimal:
    """What a reviewer may still add in bonuses on an assignment with `paid` on it."""
    return max(cap - paid, Decimal("0.00")).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class AboveCap:
    """A bonus that takes its assignment's bonuses past the reviewers' cap: a reviewer is refused
    it, a manager pays it once they have confirmed the amount (`bonus_above_cap`)."""

    amount: Decimal
    cap: Decimal
    paid: Decimal  # what the account has paid or is paying on the assignment already
    cost: fees.Cost  # the bonus and MTurk's fee on it

    @property
    def after(self) -> Decimal:
        return self.paid + self.amount


def bonus_above_cap(
    *, requester: Requester, assignment_mturk_id: str, amount: Decimal
) -> AboveCap | None:
    """The bonus's figures when it would take the assignment's bonuses past the account's
    per-assignment cap for reviewers, else None. Views ask a manager to confirm such a bonus
    before `bonus_send` (a typo's guard: $50.00 for $5.00); a reviewer's is refused there."""
    cap = requester.bonus_cap
    paid = bonus_total_on_assignment(requester=requester, assignment_mturk_id=assignment_mturk_id)
    if paid + amount <= cap:
        return None
    return AboveCap(amount=amount, cap=cap, paid=paid, cost=fees.bonus_cost(amount))


def _bonus_cap_check(*, membership: Membership, assignment_mturk_id: str, amount: Decimal) -> None:
    """A reviewer's bonuses on one assignment, all together, stay within the account's cap
    (managers and admins may pass it). Call with the account row locked."""
    if role_allows(membership.role, Action.SPEND):
        return
    requester = Requester.objects.get(pk=membership.requester_id)
    paid = bonus_total_on_assignment(requester=requester, assignment_mturk_id=assignment_mturk_id)
    room = bonus_room_left(cap=requester.bonus_cap, paid=paid)
    if amount > room:
        raise SpendingRefused(
            f"A reviewer may pay at most ${requester.bonus_cap:.2f} in bonuses on one assignment;"
            f" ${paid:.2f} is already paid or being paid on this one, so at most ${room:.2f} more"
            f" (not ${amount:.2f}). A manager can pay more."
        )


def _payment_find(
    *,
    requester_id: int,
    token: str,
    assignment_mturk_id: str,
    worker_id: str,
    amount: Decimal,
) -> BonusPayment | None:
    """The payment this token already stands for, looked up only where it may be: this account,
    assignment, worker and amount. A token held by any other payment is refused, never merged."""
    existing = BonusPayment.objects.filter(unique_request_token=token).first()
    if existing is None:
        return None
    if (
        existing.requester_id != requester_id
        or existing.assignment_mturk_id != assignment_mturk_id
        or existing.worker_id != worker_id
        or existing.amount != amount
    ):
        raise ValidationError("This payment's token belongs to another payment: nothing was paid.")
    return existing


def bonus_send(
    *,
    membership: Membership,
    actor,
    worker_id: str,
    assignment_mturk_id: str,
    amount,
    reason: str,
    form_nonce: str | None = None,
    token: str | None = None,
    hit_mturk_id: str = "",
) -> BonusPayment:
    """Pay a bonus exactly once. The row and its token are committed before SendBonus.

    `form_nonce` is what a bonus form carried (client data: see `bonus_token`); `token` is a
    UniqueRequestToken the server made and stored itself (a bonus batch's row), never one from a
    client. Calling again with the same one (a retried task, a double click) returns the same
    payment and pays nothing more. Without either, the payment gets a random token.

    Raises SpendingRefused past the account's limits or, for a reviewer, past the cap on the
    assignment's bonuses all together; ValidationError for a bad amount or reason.
    """
    amount = bonus_amount_clean(amount)
    reason = feedback_clean(reason, required=True)
    if form_nonce is not None:
        nonce = str(form_nonce)[:_NONCE_MAX]
        token = bonus_token(
            requester_id=membership.requester_id,
            assignment_mturk_id=assignment_mturk_id,
            worker_id=worker_id,
            amount=amount,
            nonce=nonce,
        )
    token = token or f"bonus-{uuid.uuid4().hex}"
    scope = {
        "requester_id": membership.requester_id,
        "token": token,
        "assignment_mturk_id": assignment_mturk_id,
        "worker_id": worker_id,
        "amount": amount,
    }
    cost = fees.bonus_cost(amount)
    try:
        with transaction.atomic():
            # The account row locked first: a double click waits here, then finds the first
            # click's payment; two different bonuses at once are counted one after the other.
            Requester.objects.select_for_update().only("pk").get(pk=membership.requester_id)
            existing = _payment_find(**scope)
            if existing is None:
                spend_authorize(
                    membership=membership, amount=cost.rewards, fee=cost.fees, bonus=True
                )
                _bonus_cap_check(
                    membership=membership, assignment_mturk_id=assignment_mturk_id, amount=amount
                )
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
                    details={
                        "worker": worker_id,
                        "reason": reason,
                        "token": token,
                        "payment": payment.pk,
                    },
                )
    except IntegrityError:
        # The same token recorded at the same moment (where the lock above is no lock: SQLite).
        existing = _payment_find(**scope)
        if existing is None:
            raise
    if existing is not None:
        if existing.status == BonusPayment.Status.PENDING:
            return bonus_deliver(payment=existing, actor=actor)
        return existing
    return bonus_deliver(payment=payment, actor=actor)


def bonus_call_token(payment: BonusPayment, now=None) -> str:
    """The UniqueRequestToken a call for this payment carries now: its own for MTurk's first
    24 hours, then one derived from it for each later 24-hour window. Every retry within a
    window, however many run at once, sends the same token, so MTurk pays at most once per
    window; a new window starts only after ListBonusPayments showed the payment is not there.
    The stored token never changes: a form posted again, or a bonus batch's retried row, still
    finds its payment by it."""
    age = (now or timezone.now()) - payment.created_at
    window = max(0, int(age / TOKEN_LIFETIME))
    if window == 0:
        return payment.unique_request_token
    digest = salted_hmac(
        "apps.review.bonuses.bonus_call_token",
        f"{payment.unique_request_token}:{window}",
        algorithm="sha256",
    ).hexdigest()[:40]
    return f"bonus-w{window}-{digest}"


def bonus_deliver(*, payment: BonusPayment, actor=None, attempts: int = 3) -> BonusPayment:
    """Send a pending payment to MTurk (the retry path too), with `bonus_call_token`."""
    gateway = requester_gateway(payment.requester)
    if timezone.now() - payment.created_at > TOKEN_LIFETIME and _bonus_found(gateway, payment):
        # MTurk forgot the token: the payment list says whether an earlier call paid.
        return _bonus_mark_sent(payment)
    call_token = bonus_call_token(payment)
    last_error: MTurkError | None = None
    for _ in range(attempts):
        try:
            gateway.call(
                "send_bonus",
                WorkerId=payment.worker_id,
                BonusAmount=f"{payment.amount:.2f}",
                AssignmentId=payment.assignment_mturk_id,
                Reason=payment.reason,
                UniqueRequestToken=call_token,
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
