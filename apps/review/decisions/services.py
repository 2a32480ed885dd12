"""Approve and reject: safe to repeat, the money counted once.

Every decision is claimed on our side first (compare-and-set on `Assignment.decision`), then sent
to MTurk. Money is recorded in the audit log *before* the call, as a reservation, so that the
daily limit counts payments in flight; a call that certainly did not happen is followed by an
opposite entry, so the day's sum stays true and the log stays append-only.

Work the dashboard launched was counted when it was launched (`apps.batches.commitments`): its
approvals carry no amount (their reward and fee are in the entry's details), and its rejections
give the commitment back with an entry of the opposite sign once MTurk has taken them.

Many decisions at once (`assignments_decide`: a bulk job's chunk) take the same steps with
several MTurk calls in flight, their approvals reserved together under one lock of the account.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.hits.models import Assignment, AssignmentStatus
from apps.hits.upserts import assignment_upsert_from_api, hit_upsert_from_api
from apps.mturk import fees
from apps.mturk.concurrency import Done, InFlight, Stopped
from apps.mturk.constants import MASTERS_IDS
from apps.mturk.errors import MTurkError, MTurkInvalidState
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require, requester_gateway, spend_authorize
from apps.review.models import Compensation, FeedbackReason
from apps.workers.sync import workers_refresh

FEEDBACK_MAX = 1024
OVERRIDE_WINDOW = timedelta(days=30)
CLAIM_STALE_AFTER = timedelta(minutes=10)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What refuses one decision of many without stopping the others.
REFUSALS = (ValidationError, PermissionDenied, MTurkError)


@dataclass
class DecisionOutcome:
    assignment: Assignment
    done: bool
    message: str


def refusal_text(exc: BaseException) -> str:
    """A refusal (validation, permission, MTurk) in words, for a message or a job's outcome."""
    return " ".join(getattr(exc, "messages", [str(exc)]))


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


def feedback_reason_save(*, membership: Membership, text: str) -> FeedbackReason:
    """Keep a rejection reason for reuse on the account; saving one twice keeps one (the text is
    unique per account)."""
    membership_require(membership, Action.REVIEW)
    reason, _ = FeedbackReason.objects.get_or_create(
        requester=membership.requester, text=text.strip()[:FEEDBACK_MAX]
    )
    return reason


def answer_file_url(*, membership: Membership, assignment: Assignment, identifier: str) -> str:
    """The link MTurk hands out (valid for a minute) to a worker's uploaded file; "" when MTurk
    gives none. Raises MTurkError or CredentialsMissing when MTurk cannot be asked."""
    membership_require(membership, Action.VIEW)
    answer = requester_gateway(membership.requester).call(
        "get_file_upload_url", AssignmentId=assignment.mturk_id, QuestionIdentifier=identifier
    )
    return answer.get("FileUploadURL", "")


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


@dataclass(frozen=True)
class _Plan:
    """What a decision claims, sends to MTurk and records."""

    decision: str  # "approve" or "reject"
    allowed: list[str]  # the statuses it may be claimed from
    operation: str
    params: dict
    target_status: str
    feedback: str
    money: fees.Cost | None  # what an approval spends now; None when nothing is spent now
    audit_extra: dict | None = None
    released: fees.Cost | None = None  # what a rejection of committed work gives back

    @property
    def action(self) -> str:
        return f"assignment.{self.decision}"


def committed_hit_ids(assignments: list[Assignment]) -> set[int]:
    """The HITs (pks) among these assignments' whose cost was counted when they were made: a
    launch's HITs (they carry its batch key) and compensation HITs."""
    launched = {a.hit_id for a in assignments if a.batch_key}
    others = {a.hit_id: a for a in assignments if not a.batch_key}
    if others:
        compensations = set(
            Compensation.objects.filter(
                hit_mturk_id__in=[a.hit.mturk_id for a in others.values()]
            ).values_list("hit_mturk_id", flat=True)
        )
        launched |= {pk for pk, a in others.items() if a.hit.mturk_id in compensations}
    return launched


def _committed_note(cost: fees.Cost) -> dict:
    return {"reward": f"{cost.rewards:.2f}", "fee": f"{cost.fees:.2f}", "counted": "when made"}


def _approval(
    assignment: Assignment,
    feedback: str,
    audit_extra: dict | None = None,
    *,
    committed: bool | None = None,
) -> _Plan:
    """Approving a submitted assignment, or overturning a rejection (within 30 days). Work
    counted when it was made spends nothing now, unless this overturns a rejection, which
    gave its commitment back."""
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
    cost = assignment_cost(assignment)
    if committed is None:
        committed = assignment.hit_id in committed_hit_ids([assignment])
    counted_before = committed and not override
    if counted_before:
        audit_extra = {**(audit_extra or {}), **_committed_note(cost)}
    return _Plan(
        decision="approve",
        allowed=[AssignmentStatus.SUBMITTED, AssignmentStatus.REJECTED]
        if override
        else [AssignmentStatus.SUBMITTED],
        operation="approve_assignment",
        params=params,
        target_status=AssignmentStatus.APPROVED,
        feedback=feedback,
        money=None if counted_before else cost,
        audit_extra=audit_extra,
    )


def _rejection(
    assignment: Assignment,
    feedback: str,
    audit_extra: dict | None = None,
    *,
    committed: bool | None = None,
) -> _Plan:
    feedback = feedback_clean(feedback, required=True)
    if committed is None:
        committed = assignment.hit_id in committed_hit_ids([assignment])
    return _Plan(
        decision="reject",
        allowed=[AssignmentStatus.SUBMITTED],
        operation="reject_assignment",
        params={"AssignmentId": assignment.mturk_id, "RequesterFeedback": feedback},
        target_status=AssignmentStatus.REJECTED,
        feedback=feedback,
        money=None,
        audit_extra=audit_extra,
        released=assignment_cost(assignment) if committed else None,
    )


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


def _audit_decided(membership: Membership, assignment: Assignment, actor, plan: _Plan) -> None:
    """The audit entry of a decision MTurk has taken that reserved no money: with what a
    rejection of committed work gives back, as an amount of the opposite sign."""
    released = plan.released
    _audit_decision(
        actor,
        membership.requester,
        plan.action,
        assignment,
        plan.feedback,
        plan.audit_extra,
        money=fees.Cost(rewards=-released.rewards, fees=-released.fees) if released else None,
    )


def _audit_offset(
    actor, requester, action: str, assignment: Assignment, money: fees.Cost, reason: str
) -> None:
    """The opposite entry of a reservation whose decision did not happen."""
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


def _claim_and_record(
    membership: Membership, assignment: Assignment, actor, plan: _Plan
) -> DecisionOutcome | None:
    """Claim the decision, then record its money; an outcome when there is nothing to do."""
    # Claimed before the account is locked for the money check: every approval of the account
    # waits for that lock, so it is held for the check and its record only.
    if not _claim(assignment, plan.decision, plan.allowed, actor):
        current = Assignment.objects.get(pk=assignment.pk)
        if current.decision:
            return DecisionOutcome(current, False, "Someone is deciding this assignment right now.")
        return DecisionOutcome(current, False, f"Already {current.status}: nothing to do.")
    money = plan.money
    if money is not None:
        try:
            with transaction.atomic():
                spend_authorize(
                    membership=membership, amount=money.rewards, fee=money.fees, bonus=False
                )
                _audit_decision(
                    actor,
                    membership.requester,
                    plan.action,
                    assignment,
                    plan.feedback,
                    plan.audit_extra,
                    money=money,
                )
        except BaseException:
            _release(assignment)  # refused (or failed) before anything was sent
            raise
    return None


def _undo(membership: Membership, assignment: Assignment, actor, plan: _Plan, reason: str) -> None:
    """The decision did not happen: its claim is released and its recorded money offset."""
    _release(assignment)
    if plan.money is not None:
        _audit_offset(actor, membership.requester, plan.action, assignment, plan.money, reason)


def _done_at_mturk(
    membership: Membership, assignment: Assignment, actor, plan: _Plan
) -> DecisionOutcome:
    """MTurk made the decision though its answer was lost: the decision is ours, and the money
    recorded before the call stands as the payment."""
    _release(assignment)
    if plan.money is None:
        _audit_decided(membership, assignment, actor, plan)
    return DecisionOutcome(Assignment.objects.get(pk=assignment.pk), True, f"{plan.target_status}.")


def _reached(membership: Membership, assignment: Assignment, gateway, status: str) -> bool:
    """Whether MTurk holds the assignment in `status` now (no, when it cannot be read)."""
    try:
        return _reread(membership, assignment, gateway).status == status
    except MTurkError:
        return False


def _send(
    membership: Membership, assignment: Assignment, actor, plan: _Plan
) -> DecisionOutcome | None:
    """Make the call: None when MTurk took it. A refusal or a lost answer is checked against
    what MTurk holds: already decided by our own first attempt, the decision is done; otherwise
    it is undone, and an MTurk error raised again."""
    gateway = requester_gateway(membership.requester)
    try:
        gateway.call(plan.operation, **plan.params)
    except MTurkInvalidState as exc:
        fresh = _reread(membership, assignment, gateway)
        if exc.retry_attempts and fresh.status == plan.target_status:
            # Refused on a retry: the first attempt did it and its answer was lost.
            return _done_at_mturk(membership, assignment, actor, plan)
        _undo(membership, assignment, actor, plan, str(exc))
        return DecisionOutcome(
            Assignment.objects.get(pk=fresh.pk), False, f"MTurk has it as {fresh.status} already."
        )
    except MTurkError as exc:
        if exc.outcome_unknown and _reached(membership, assignment, gateway, plan.target_status):
            return _done_at_mturk(membership, assignment, actor, plan)
        _undo(membership, assignment, actor, plan, str(exc))
        raise
    return None


def _record_decided(assignment: Assignment, plan: _Plan) -> None:
    now = timezone.now()
    when = "approval_time" if plan.target_status == AssignmentStatus.APPROVED else "rejection_time"
    Assignment.objects.filter(pk=assignment.pk).update(
        status=plan.target_status,
        requester_feedback=plan.feedback,
        decision="",
        decision_started_at=None,
        synced_at=now,
        **{when: now},
    )


def _decide(
    membership: Membership,
    assignment: Assignment,
    actor,
    plan: _Plan,
    *,
    refresh_workers: bool = True,
    reserved: bool = False,
) -> DecisionOutcome:
    """Claim and record the money (unless `reserved`: `_approvals_reserve` did both), send,
    then mark the mirror and audit a decision without money."""
    if not reserved:
        refused = _claim_and_record(membership, assignment, actor, plan)
        if refused is not None:
            return refused
    resolved = _send(membership, assignment, actor, plan)
    if resolved is not None:
        return resolved
    _record_decided(assignment, plan)
    if plan.money is None:
        _audit_decided(membership, assignment, actor, plan)
    if refresh_workers:
        workers_refresh(requester=membership.requester, worker_ids={assignment.worker_id})
    return DecisionOutcome(Assignment.objects.get(pk=assignment.pk), True, f"{plan.target_status}.")


def assignment_approve(
    *,
    membership: Membership,
    assignment: Assignment,
    actor,
    feedback: str = "",
    audit_extra: dict | None = None,
) -> DecisionOutcome:
    """Approve a submitted assignment, or a rejected one within 30 days of submission
    (OverrideRejection). Pays the reward plus MTurk's fee. `audit_extra` is added to the audit
    event's details (an automatic rule names itself there)."""
    membership_require(membership, Action.REVIEW)
    return _decide(membership, assignment, actor, _approval(assignment, feedback, audit_extra))


def assignment_reject(
    *,
    membership: Membership,
    assignment: Assignment,
    actor,
    feedback: str,
    audit_extra: dict | None = None,
) -> DecisionOutcome:
    """Reject a submitted assignment; the feedback (required) is shown to the worker."""
    membership_require(membership, Action.REVIEW)
    return _decide(membership, assignment, actor, _rejection(assignment, feedback, audit_extra))


# --- many decisions at once --------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One of many decisions: approve or reject this assignment, with this feedback."""

    assignment: Assignment
    action: str  # "approve" or "reject"
    feedback: str = ""


def assignments_decide(
    *,
    membership: Membership,
    actor,
    decisions: list[Decision],
    threads: int,
    stop: Callable[[], bool] | None = None,
) -> Iterator[Done[Decision, DecisionOutcome]]:
    """Approve and reject many assignments with up to `threads` MTurk calls in flight; yields
    each decision's outcome as it arrives, or the error that refused it (see `REFUSALS`).

    Each decision takes the steps of a single one (role, claim, money check, call, audit). The
    approvals of submitted assignments are first reserved together: claimed, and their money
    checked and recorded, under one lock of the account instead of one lock per approval, which
    would make every approval of the account wait in line; when the lot does not fit the daily
    limit, each is checked on its own. A reserved approval that is not sent (refused before its
    call, or not started because `stop()`, asked before each call, said so) is given back.
    Decisions left by `stop()` are not yielded. The workers' counts are recounted once, at the
    end, rather than once per decision.
    """
    if not decisions:
        return
    stop = stop or (lambda: False)
    reserved = set() if stop() else _approvals_reserve(membership, actor, decisions)
    committed = committed_hit_ids([d.assignment for d in decisions])  # one query, not one each

    def work(decision: Decision) -> DecisionOutcome:
        return _decide_one(
            membership,
            actor,
            decision,
            reserved=decision.assignment.pk in reserved,
            committed=decision.assignment.hit_id in committed,
        )

    try:
        with InFlight(work, threads=min(threads, len(decisions)), stop=stop, name="review") as pool:
            for decision in decisions:
                pool.put(decision)
            while pool.pending:
                for done in pool.done(block=True):
                    stopped = isinstance(done.error, Stopped)
                    if done.item.assignment.pk in reserved and (
                        stopped or isinstance(done.error, REFUSALS)
                    ):
                        reason = "The job was stopped." if stopped else refusal_text(done.error)
                        _unreserve_if_held(membership, actor, done.item.assignment, reason)
                    if not stopped:
                        yield done
    finally:
        workers_refresh(
            requester=membership.requester, worker_ids={d.assignment.worker_id for d in decisions}
        )


def _decide_one(
    membership: Membership, actor, decision: Decision, *, reserved: bool, committed: bool
) -> DecisionOutcome:
    assignment = decision.assignment
    if decision.action == "approve" and assignment.status == AssignmentStatus.APPROVED:
        return DecisionOutcome(assignment, False, "Already Approved.")
    membership_require(membership, Action.REVIEW)
    if decision.action == "approve":
        plan = _approval(assignment, decision.feedback, committed=committed)
    else:
        plan = _rejection(assignment, decision.feedback, committed=committed)
    return _decide(membership, assignment, actor, plan, refresh_workers=False, reserved=reserved)


def _approvals_reserve(membership: Membership, actor, decisions: list[Decision]) -> set[int]:
    """The approvals of submitted assignments claimed, and their money recorded, in one go;
    the pks of those claimed here. Nothing is reserved when the lot does not fit the daily
    limit (or the role no longer allows it): each approval is then checked on its own."""
    submitted = [
        d
        for d in decisions
        if d.action == "approve" and d.assignment.status == AssignmentStatus.SUBMITTED
    ]
    committed = committed_hit_ids([d.assignment for d in submitted])
    # Approvals of work counted when it was made spend nothing now: nothing to reserve.
    candidates = [
        (d.assignment, d.feedback) for d in submitted if d.assignment.hit_id not in committed
    ]
    if not candidates:
        return set()
    try:
        membership_require(membership, Action.REVIEW)
    except PermissionDenied:
        return set()
    claimed = _claim_many([a for a, _ in candidates], actor)
    if not claimed:
        return set()
    lot = [(a, f) for a, f in candidates if a.pk in claimed]
    costs = [assignment_cost(assignment) for assignment, _ in lot]
    try:
        with transaction.atomic():
            spend_authorize(
                membership=membership,
                amount=sum((c.rewards for c in costs), Decimal("0")),
                fee=sum((c.fees for c in costs), Decimal("0")),
                bonus=False,
            )
            for (assignment, feedback), cost in zip(lot, costs, strict=True):
                _audit_decision(
                    actor,
                    membership.requester,
                    "assignment.approve",
                    assignment,
                    feedback,
                    money=cost,
                )
    except BaseException as exc:
        for assignment, _ in lot:
            _release(assignment)
        if isinstance(exc, (ValidationError, PermissionDenied)):
            return set()
        raise
    return claimed


def _claim_many(assignments: list[Assignment], actor) -> set[int]:
    """One claim for the lot: the rows still free are locked (rows another claim holds are
    skipped), then marked, in one transaction; each is then claimed here and nowhere else."""
    with transaction.atomic():
        free = set(
            Assignment.objects.select_for_update(skip_locked=True)
            .filter(
                pk__in=[a.pk for a in assignments],
                status=AssignmentStatus.SUBMITTED,
                decision="",
            )
            .values_list("pk", flat=True)
        )
        Assignment.objects.filter(pk__in=free, decision="").update(
            decision="approve", decision_started_at=timezone.now(), decided_by=actor
        )
    return free


def _unreserve_if_held(membership: Membership, actor, assignment: Assignment, reason: str) -> None:
    """Give back a reserved approval that was not sent: the claim released, its money offset;
    unless the decision already released it (a refused call undoes its own reservation)."""
    held = Assignment.objects.filter(
        pk=assignment.pk, status=AssignmentStatus.SUBMITTED, decision="approve"
    ).exists()
    if held:
        _release(assignment)
        _audit_offset(
            actor,
            membership.requester,
            "assignment.approve",
            assignment,
            assignment_cost(assignment),
            reason,
        )
