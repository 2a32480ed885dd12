"""Approve, reject, and pay bonuses: safe to repeat, exactly once with money.

Every decision is claimed on our side first (compare-and-set on `Assignment.decision`), then sent
to MTurk. Money is recorded in the audit log *before* the call, as a reservation, so that the
daily limit counts payments in flight; a call that certainly did not happen is followed by an
opposite entry, so the day's sum stays true and the log stays append-only.

Bonuses carry a UniqueRequestToken committed with their row before SendBonus. A retry reuses it;
MTurk's "duplicate request" answer means the first call paid. Past MTurk's 24-hour token window a
retry first looks for the payment in ListBonusPayments.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.hits.models import Assignment, AssignmentStatus
from apps.hits.upserts import assignment_upsert_from_api, hit_upsert_from_api
from apps.mturk import fees
from apps.mturk.constants import MASTERS_IDS
from apps.mturk.errors import MTurkDuplicateRequest, MTurkError, MTurkInvalidState
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require, requester_gateway, spend_authorize
from apps.review.models import BonusPayment
from apps.workers.sync import workers_refresh

FEEDBACK_MAX = 1024
OVERRIDE_WINDOW = timedelta(days=30)
CLAIM_STALE_AFTER = timedelta(minutes=10)
TOKEN_LIFETIME = timedelta(hours=24)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class DecisionOutcome:
    assignment: Assignment
    done: bool
    message: str


def feedback_clean(text: str, *, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError("Say why: workers see this feedback.")
    if len(text) > FEEDBACK_MAX:
        raise ValidationError(
            f"Feedback is {len(text)} characters; MTurk takes at most {FEEDBACK_MAX}."
        )
    if _CONTROL.search(text):
        raise ValidationError("Feedback cannot contain control characters.")
    return text


def _masters(assignment: Assignment) -> bool:
    hit_type = assignment.hit.hit_type
    requirements = hit_type.qualification_requirements if hit_type else []
    return any(r.get("QualificationTypeId") in MASTERS_IDS for r in requirements or [])


def assignment_cost(assignment: Assignment) -> fees.Cost:
    hit = assignment.hit
    fee = fees.assignment_fee(
        hit.reward, max_assignments=hit.max_assignments, masters=_masters(assignment)
    )
    return fees.Cost(rewards=hit.reward, fees=fee)


def _claim(assignment: Assignment, decision: str, allowed: list[str], actor) -> bool:
    now = timezone.now()
    claimable = Assignment.objects.filter(pk=assignment.pk, status__in=allowed)
    claimed = claimable.filter(decision="").update(
        decision=decision, decision_started_at=now, decided_by=actor
    ) or claimable.filter(decision_started_at__lt=now - CLAIM_STALE_AFTER).update(
        decision=decision, decision_started_at=now, decided_by=actor
    )
    return bool(claimed)


def _release(assignment: Assignment) -> None:
    Assignment.objects.filter(pk=assignment.pk).update(decision="", decision_started_at=None)


def _reread(membership: Membership, assignment: Assignment, gateway) -> Assignment:
    """What MTurk holds now (it may have auto-approved); the mirror follows."""
    fetched_at = timezone.now()
    response = gateway.call("get_assignment", AssignmentId=assignment.mturk_id)
    hit, _ = hit_upsert_from_api(
        requester=membership.requester,
        data=response["HIT"],
        fetched_at=fetched_at,
        hit_type=assignment.hit.hit_type,
    )
    fresh, _ = assignment_upsert_from_api(
        hit=hit, data=response["Assignment"], fetched_at=fetched_at
    )
    return fresh


def _audit_decision(
    actor, requester, action: str, assignment: Assignment, feedback: str, extra=None, *, money=None
) -> None:
    """The audit entry of a decision, with the money it reserves when it costs any."""
    audit_record(
        actor=actor,
        requester=requester,
        action=action,
        target_type="assignment",
        target_id=assignment.mturk_id,
        amount=money.rewards if money is not None else None,
        fee=money.fees if money is not None else None,
        details={
            "hit": assignment.hit.mturk_id,
            "worker": assignment.worker_id,
            "feedback": feedback,
            **(extra or {}),
        },
    )


def _claim_and_record(
    membership: Membership,
    assignment: Assignment,
    actor,
    decision: str,
    allowed: list[str],
    feedback: str,
    money: fees.Cost | None,
    audit_extra: dict | None,
) -> DecisionOutcome | None:
    """Claim the decision, then record its money; an outcome when there is nothing to do."""
    requester = membership.requester
    action = f"assignment.{decision}"
    # Claimed before the account is locked for the money check: every approval of the account
    # waits for that lock, so it is held for the check and its record only.
    if not _claim(assignment, decision, allowed, actor):
        current = Assignment.objects.get(pk=assignment.pk)
        if current.decision:
            return DecisionOutcome(current, False, "Someone is deciding this assignment right now.")
        return DecisionOutcome(current, False, f"Already {current.status}: nothing to do.")
    if money is not None:
        try:
            with transaction.atomic():
                spend_authorize(
                    membership=membership, amount=money.rewards, fee=money.fees, bonus=False
                )
                _audit_decision(
                    actor, requester, action, assignment, feedback, audit_extra, money=money
                )
        except BaseException:
            _release(assignment)  # refused (or failed) before anything was sent
            raise
    return None


def _decide(
    *,
    membership: Membership,
    assignment: Assignment,
    actor,
    decision: str,
    allowed: list[str],
    call: tuple[str, dict],
    target_status: str,
    feedback: str,
    money: fees.Cost | None,
    audit_extra: dict | None = None,
    refresh_workers: bool = True,
    reserved: bool = False,
) -> DecisionOutcome:
    requester = membership.requester
    action = f"assignment.{decision}"
    # A reserved approval was claimed, and its money recorded, by `approvals_reserve`.
    if not reserved:
        refused = _claim_and_record(
            membership, assignment, actor, decision, allowed, feedback, money, audit_extra
        )
        if refused is not None:
            return refused

    gateway = requester_gateway(requester)
    operation, params = call

    def undo(reason: str) -> None:
        _release(assignment)
        if money is not None:
            audit_record(
                actor=actor,
                requester=requester,
                action=f"{action}.undone",
                target_type="assignment",
                target_id=assignment.mturk_id,
                amount=-money.rewards,
                fee=-money.fees,
                details={"reason": reason[:500]},
            )

    try:
        gateway.call(operation, **params)
    except MTurkInvalidState as exc:
        fresh = _reread(membership, assignment, gateway)
        if exc.retry_attempts and fresh.status == target_status:
            # Refused on a retry: the first attempt did it and its answer was lost. MTurk has
            # paid; the reservation stands as the payment, and the decision is ours.
            _release(assignment)
            if money is None:
                _audit_decision(actor, requester, action, assignment, feedback, audit_extra)
            return DecisionOutcome(Assignment.objects.get(pk=fresh.pk), True, f"{target_status}.")
        undo(str(exc))
        return DecisionOutcome(
            Assignment.objects.get(pk=fresh.pk), False, f"MTurk has it as {fresh.status} already."
        )
    except MTurkError as exc:
        if exc.outcome_unknown:
            try:
                fresh = _reread(membership, assignment, gateway)
            except MTurkError:
                fresh = None
            if fresh is not None and fresh.status == target_status:
                _release(assignment)
                if money is None:
                    _audit_decision(actor, requester, action, assignment, feedback, audit_extra)
                return DecisionOutcome(
                    Assignment.objects.get(pk=assignment.pk), True, f"{target_status}."
                )
        undo(str(exc))
        raise

    now = timezone.now()
    fields = {
        "status": target_status,
        "requester_feedback": feedback,
        "decision": "",
        "decision_started_at": None,
    }
    fields["approval_time" if target_status == AssignmentStatus.APPROVED else "rejection_time"] = (
        now
    )
    Assignment.objects.filter(pk=assignment.pk).update(**fields, synced_at=now)
    if money is None:
        _audit_decision(actor, requester, action, assignment, feedback, audit_extra)
    if refresh_workers:
        workers_refresh(requester=requester, worker_ids={assignment.worker_id})
    return DecisionOutcome(Assignment.objects.get(pk=assignment.pk), True, f"{target_status}.")


def assignment_approve(
    *,
    membership: Membership,
    assignment: Assignment,
    actor,
    feedback: str = "",
    audit_extra: dict | None = None,
    refresh_workers: bool = True,
    reserved: bool = False,
) -> DecisionOutcome:
    """Approve a submitted assignment, or a rejected one within 30 days of submission
    (OverrideRejection). Pays the reward plus MTurk's fee. `audit_extra` is added to the audit
    event's details (an automatic rule names itself there). `refresh_workers=False` leaves the
    worker's counts to the caller (a bulk job recounts its workers once). `reserved=True` is
    only for an assignment `approvals_reserve` returned: claimed, its money recorded."""
    membership_require(membership, Action.REVIEW)
    feedback = feedback_clean(feedback, required=False)
    override = assignment.status == AssignmentStatus.REJECTED
    if (
        override
        and assignment.submit_time
        and timezone.now() - assignment.submit_time > OVERRIDE_WINDOW
    ):
        raise ValidationError("A rejection can be overturned only within 30 days of submission.")
    params = {"AssignmentId": assignment.mturk_id}
    if feedback:
        params["RequesterFeedback"] = feedback
    if override:
        params["OverrideRejection"] = True
    return _decide(
        membership=membership,
        assignment=assignment,
        actor=actor,
        decision="approve",
        allowed=[AssignmentStatus.SUBMITTED, AssignmentStatus.REJECTED]
        if override
        else [AssignmentStatus.SUBMITTED],
        call=("approve_assignment", params),
        target_status=AssignmentStatus.APPROVED,
        feedback=feedback,
        money=assignment_cost(assignment),
        audit_extra=audit_extra,
        refresh_workers=refresh_workers,
        reserved=reserved,
    )


def approvals_reserve(
    *, membership: Membership, actor, items: list[tuple[Assignment, str]]
) -> list[Assignment]:
    """Claim many submitted assignments for approval and record their money under one lock of
    the account, instead of one lock per approval (a bulk job's approvals would otherwise queue
    on it). `items` are (assignment, cleaned feedback). Returns the assignments claimed here:
    send each with `assignment_approve(..., reserved=True)`, or give it back with
    `approval_unreserve`. Raises SpendingRefused when the lot does not fit the daily limit
    (nothing is then claimed)."""
    membership_require(membership, Action.REVIEW)
    candidates = [(a, f) for a, f in items if a.status == AssignmentStatus.SUBMITTED]
    # One claim for the lot: the rows still free are locked (rows another claim holds are
    # skipped), then marked, in one transaction; each is then claimed here and nowhere else.
    with transaction.atomic():
        free = set(
            Assignment.objects.select_for_update(skip_locked=True)
            .filter(
                pk__in=[a.pk for a, _ in candidates],
                status=AssignmentStatus.SUBMITTED,
                decision="",
            )
            .values_list("pk", flat=True)
        )
        Assignment.objects.filter(pk__in=free, decision="").update(
            decision="approve", decision_started_at=timezone.now(), decided_by=actor
        )
    claimed = [(a, f) for a, f in candidates if a.pk in free]
    if not claimed:
        return []
    costs = [assignment_cost(assignment) for assignment, _ in claimed]
    try:
        with transaction.atomic():
            spend_authorize(
                membership=membership,
                amount=sum((c.rewards for c in costs), Decimal("0")),
                fee=sum((c.fees for c in costs), Decimal("0")),
                bonus=False,
            )
            for (assignment, feedback), cost in zip(claimed, costs, strict=True):
                _audit_decision(
                    actor,
                    membership.requester,
                    "assignment.approve",
                    assignment,
                    feedback,
                    money=cost,
                )
    except BaseException:
        for assignment, _ in claimed:
            _release(assignment)
        raise
    return [assignment for assignment, _ in claimed]


def approval_unreserve(
    *, membership: Membership, actor, assignment: Assignment, reason: str
) -> None:
    """Give back a reserved approval that will not be sent: the claim is released and its money
    record is offset."""
    cost = assignment_cost(assignment)
    _release(assignment)
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="assignment.approve.undone",
        target_type="assignment",
        target_id=assignment.mturk_id,
        amount=-cost.rewards,
        fee=-cost.fees,
        details={"reason": reason[:500]},
    )


def assignment_reject(
    *,
    membership: Membership,
    assignment: Assignment,
    actor,
    feedback: str,
    audit_extra: dict | None = None,
    refresh_workers: bool = True,
) -> DecisionOutcome:
    """Reject a submitted assignment; the feedback (required) is shown to the worker."""
    membership_require(membership, Action.REVIEW)
    feedback = feedback_clean(feedback, required=True)
    return _decide(
        membership=membership,
        assignment=assignment,
        actor=actor,
        decision="reject",
        allowed=[AssignmentStatus.SUBMITTED],
        call=(
            "reject_assignment",
            {"AssignmentId": assignment.mturk_id, "RequesterFeedback": feedback},
        ),
        target_status=AssignmentStatus.REJECTED,
        feedback=feedback,
        money=None,
        audit_extra=audit_extra,
        refresh_workers=refresh_workers,
    )


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


def bonuses_retry_pending(*, requester) -> int:
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
