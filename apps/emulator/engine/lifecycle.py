"""HIT and assignment life cycle: the transition tables, the services that apply them, and the
time-driven transitions (abandonment, auto-approval, expiry, disposal).

Rules a newcomer must keep:

- Every assignment change goes through `assignment_transition` (compare-and-set on the status,
  counters on the HIT moved in the same transaction, an `Event` written for the outbox).
- `hit_refresh` is the only place that decides a HIT's status from its counters and expiration.
- Time-driven transitions run lazily (`run_due_if_needed`, called before every request), when the
  clock is advanced, and from a light background ticker. An in-memory "next due" time keeps the
  lazy check free for the many requests where nothing is due.
- What happens when a HIT becomes Reviewable beyond the HITReviewable event (the HIT review
  policies) is hooked in with `on_hit_reviewable` (see `apps.py`): this module never imports the
  review policies, which themselves approve, reject and extend through it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Min

from ..models import HIT, Assignment, Customer, Event, RequestToken
from ..wire import errors
from . import fees

S = Assignment.Status
logger = logging.getLogger(__name__)

# MTurk forgets a UniqueRequestToken after 24 hours, and disposes of a HIT 120 days after its
# last approval or rejection.
TOKEN_TTL_SECONDS = 24 * 3600
DISPOSAL_SECONDS = 120 * 24 * 3600


@dataclass(frozen=True)
class AssignmentTransition:
    sources: tuple[str, ...]
    target: str
    event: str
    # Change of the HIT's counters (pending, completed).
    pending_delta: int = 0
    completed_delta: int = 0


ASSIGNMENT_TRANSITIONS: dict[str, AssignmentTransition] = {
    "submit": AssignmentTransition((S.ACCEPTED,), S.SUBMITTED, "AssignmentSubmitted", -1, 1),
    "return": AssignmentTransition((S.ACCEPTED,), S.RETURNED, "AssignmentReturned", -1, 0),
    "abandon": AssignmentTransition((S.ACCEPTED,), S.ABANDONED, "AssignmentAbandoned", -1, 0),
    "approve": AssignmentTransition((S.SUBMITTED,), S.APPROVED, "AssignmentApproved"),
    "approve_override": AssignmentTransition(
        (S.SUBMITTED, S.REJECTED), S.APPROVED, "AssignmentApproved"
    ),
    "reject": AssignmentTransition((S.SUBMITTED,), S.REJECTED, "AssignmentRejected"),
}


def event_emit(
    *,
    customer_id: int,
    event_type: str,
    at: datetime,
    hit: HIT | None = None,
    assignment_id: str = "",
) -> None:
    """Record a life-cycle event in the outbox (same transaction as the change)."""
    Event.objects.create(
        customer_id=customer_id,
        event_type=event_type,
        event_time=at,
        hit_id=hit.hit_id if hit else "",
        hit_type_id=hit.hit_type.hit_type_id if hit else "",
        assignment_id=assignment_id,
    )


def hit_status_for(hit: HIT, now: datetime) -> str:
    """The status a HIT's counters and expiration imply.

    Assignable while assignments are available and it has not expired; Unassignable while
    some are still being worked on; otherwise Reviewable (or Reviewing once the requester
    marked it so). Disposed is final.
    """
    if hit.status == HIT.Status.DISPOSED:
        return HIT.Status.DISPOSED
    if hit.number_available > 0 and hit.expiration > now:
        return HIT.Status.ASSIGNABLE
    if hit.number_pending > 0:
        return HIT.Status.UNASSIGNABLE
    if hit.status == HIT.Status.REVIEWING:
        return HIT.Status.REVIEWING
    return HIT.Status.REVIEWABLE


ReviewableHook = Callable[..., None]
_reviewable_hooks: list[ReviewableHook] = []


def on_hit_reviewable(hook: ReviewableHook) -> ReviewableHook:
    """Call `hook(hit, now=now)` whenever a HIT becomes Reviewable, inside the transaction that
    made it so (after its HITReviewable event). Registered once, at app start (`apps.py`)."""
    if hook not in _reviewable_hooks:
        _reviewable_hooks.append(hook)
    return hook


def hit_refresh(hit: HIT, *, now: datetime, at: datetime | None = None) -> HIT:
    """Recompute and save the HIT's status; emit HITReviewable when it becomes reviewable."""
    old = hit.status
    new = hit_status_for(hit, now)
    if new != old:
        hit.status = new
        HIT.objects.filter(pk=hit.pk).update(status=new)
        if new == HIT.Status.REVIEWABLE and old in (HIT.Status.ASSIGNABLE, HIT.Status.UNASSIGNABLE):
            event_emit(
                customer_id=hit.customer_id, event_type="HITReviewable", at=at or now, hit=hit
            )
            for hook in _reviewable_hooks:
                hook(hit, now=now)
    return hit


def hit_lock(hit_pk: int) -> HIT:
    """Re-read a HIT under a row lock (PostgreSQL; SQLite's IMMEDIATE transaction already
    serialises writers)."""
    return HIT.objects.select_for_update(of=("self",)).select_related("hit_type").get(pk=hit_pk)


def state_error(assignment: Assignment, allowed: tuple[str, ...]) -> errors.RequestError:
    millis = int(assignment.accept_time.timestamp() * 1000)
    return errors.RequestError(
        errors.INVALID_ASSIGNMENT_STATE,
        f"This operation can be called with a status of: {', '.join(allowed)} ({millis})",
    )


def assignment_transition(
    assignment: Assignment,
    action: str,
    *,
    now: datetime,
    at: datetime | None = None,
    **fields,
) -> Assignment:
    """Apply one transition of `ASSIGNMENT_TRANSITIONS` inside the caller's transaction.

    Compare-and-set on the status: when another request moved the assignment first, this raises
    InvalidAssignmentState and changes nothing. `fields` are saved with the new status.
    """
    transition = ASSIGNMENT_TRANSITIONS[action]
    changed = Assignment.objects.filter(pk=assignment.pk, status__in=transition.sources).update(
        status=transition.target, **fields
    )
    if changed != 1:
        assignment.refresh_from_db(fields=["status"])
        raise state_error(assignment, transition.sources)
    assignment.status = transition.target
    for key, value in fields.items():
        setattr(assignment, key, value)
    hit = hit_lock(assignment.hit_id)
    if transition.pending_delta or transition.completed_delta:
        HIT.objects.filter(pk=hit.pk).update(
            number_pending=F("number_pending") + transition.pending_delta,
            number_completed=F("number_completed") + transition.completed_delta,
        )
        hit.number_pending += transition.pending_delta
        hit.number_completed += transition.completed_delta
    if transition.target in (S.APPROVED, S.REJECTED):
        HIT.objects.filter(pk=hit.pk).update(last_decision_at=at or now)
        hit.last_decision_at = at or now
    event_emit(
        customer_id=assignment.customer_id,
        event_type=transition.event,
        at=at or now,
        hit=hit,
        assignment_id=assignment.assignment_id,
    )
    hit_refresh(hit, now=now, at=at)
    assignment.hit = hit
    return assignment


def approval_cost(hit: HIT) -> tuple[Decimal, Decimal]:
    """(reward, fee) debited when one assignment of `hit` is approved."""
    reward = hit.hit_type.reward
    fee = fees.assignment_fee(
        reward=reward,
        max_assignments=hit.max_assignments,
        qualification_requirements=hit.hit_type.qualification_requirements,
    )
    return reward, fee


def balance_debit(*, customer_id: int, amount: Decimal, allow_negative: bool = False) -> None:
    """Take `amount` from the customer's balance, or raise InsufficientFunds and take nothing."""
    query = Customer.objects.filter(pk=customer_id)
    if not allow_negative:
        query = query.filter(balance__gte=amount)
    if query.update(balance=F("balance") - amount) != 1:
        raise errors.RequestError(
            errors.INSUFFICIENT_FUNDS,
            f"You do not have enough funds for this operation ({fees.money(amount)} needed).",
        )


def assignment_approve(
    assignment: Assignment,
    *,
    now: datetime,
    feedback: str = "",
    override: bool = False,
    automatic: bool = False,
    at: datetime | None = None,
) -> Assignment:
    """Approve (or, with `override`, turn a rejection into an approval) and pay reward + fee.

    Automatic approvals (the auto-approval delay passed) are paid even when the balance runs
    short, as MTurk pays workers regardless; explicit approvals refuse with InsufficientFunds.
    """
    hit = assignment.hit
    reward, fee = approval_cost(hit)
    balance_debit(customer_id=assignment.customer_id, amount=reward + fee, allow_negative=automatic)
    fields = {"approval_time": at or now, "rejection_time": None}
    if feedback:
        fields["requester_feedback"] = feedback
    return assignment_transition(
        assignment, "approve_override" if override else "approve", now=now, at=at, **fields
    )


# ---------------------------------------------------------------------------------------------
# Time-driven transitions


class _DueSchedule:
    """The earliest emulator time at which something becomes due (None: unknown, check)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.run_lock = threading.Lock()
        self.next_due: datetime | None = None

    def note(self, moment: datetime) -> None:
        with self.lock:
            if self.next_due is not None and moment < self.next_due:
                self.next_due = moment

    def forget(self) -> None:
        with self.lock:
            self.next_due = None


schedule = _DueSchedule()


def due_at(moment: datetime) -> None:
    """Tell the scheduler something becomes due at `moment` (call inside the transaction that
    creates it; takes effect on commit)."""
    transaction.on_commit(lambda: schedule.note(moment))


def run_due_if_needed(now: datetime) -> None:
    next_due = schedule.next_due
    if next_due is None or now >= next_due:
        run_due(now)


def _abandon_one(now: datetime) -> bool:
    candidate = (
        Assignment.objects.filter(status=S.ACCEPTED, deadline__lte=now)
        .order_by("deadline")
        .values_list("pk", flat=True)
        .first()
    )
    if candidate is None:
        return False
    with transaction.atomic():
        assignment = Assignment.objects.select_related("hit__hit_type").get(pk=candidate)
        if assignment.status == S.ACCEPTED:
            assignment_transition(assignment, "abandon", now=now, at=assignment.deadline)
    return True


def _auto_approve_one(now: datetime) -> bool:
    candidate = (
        Assignment.objects.filter(status=S.SUBMITTED, auto_approval_time__lte=now)
        .order_by("auto_approval_time")
        .values_list("pk", flat=True)
        .first()
    )
    if candidate is None:
        return False
    with transaction.atomic():
        assignment = Assignment.objects.select_related("hit__hit_type").get(pk=candidate)
        if assignment.status == S.SUBMITTED:
            assignment_approve(
                assignment, now=now, automatic=True, at=assignment.auto_approval_time
            )
    return True


def _expire_one(now: datetime) -> bool:
    candidate = (
        HIT.objects.filter(expiry_processed=False, expiration__lte=now)
        .order_by("expiration")
        .values_list("pk", flat=True)
        .first()
    )
    if candidate is None:
        return False
    with transaction.atomic():
        hit = hit_lock(candidate)
        if not hit.expiry_processed and hit.expiration <= now:
            HIT.objects.filter(pk=hit.pk).update(expiry_processed=True)
            hit.expiry_processed = True
            if hit.status != HIT.Status.DISPOSED:
                event_emit(
                    customer_id=hit.customer_id,
                    event_type="HITExpired",
                    at=hit.expiration,
                    hit=hit,
                )
                hit_refresh(hit, now=now, at=hit.expiration)
    return True


def _dispose_one(now: datetime) -> bool:
    limit = now - timedelta(seconds=DISPOSAL_SECONDS)
    candidate = (
        HIT.objects.filter(
            status__in=[HIT.Status.REVIEWABLE, HIT.Status.REVIEWING],
            number_pending=0,
            last_decision_at__lte=limit,
        )
        .exclude(assignments__status=S.SUBMITTED)
        .order_by("last_decision_at")
        .values_list("pk", flat=True)
        .first()
    )
    if candidate is None:
        return False
    with transaction.atomic():
        hit = hit_lock(candidate)
        if hit.status in (HIT.Status.REVIEWABLE, HIT.Status.REVIEWING):
            # MTurk deletes HIT data 120 days after the last decision: it leaves ListHITs.
            hit_dispose(
                hit,
                now=now,
                at=hit.last_decision_at + timedelta(seconds=DISPOSAL_SECONDS),
                delete=True,
            )
    return True


def hit_dispose(hit: HIT, *, now: datetime, at: datetime | None = None, delete: bool = False):
    HIT.objects.filter(pk=hit.pk).update(status=HIT.Status.DISPOSED, deleted=hit.deleted or delete)
    hit.status = HIT.Status.DISPOSED
    event_emit(customer_id=hit.customer_id, event_type="HITDisposed", at=at or now, hit=hit)


def _next_due_from_db(now: datetime) -> datetime:
    candidates = [
        Assignment.objects.filter(status=S.ACCEPTED).aggregate(m=Min("deadline"))["m"],
        Assignment.objects.filter(status=S.SUBMITTED).aggregate(m=Min("auto_approval_time"))["m"],
        HIT.objects.filter(expiry_processed=False).aggregate(m=Min("expiration"))["m"],
    ]
    decided = HIT.objects.filter(
        status__in=[HIT.Status.REVIEWABLE, HIT.Status.REVIEWING], last_decision_at__isnull=False
    ).aggregate(m=Min("last_decision_at"))["m"]
    if decided is not None:
        candidates.append(decided + timedelta(seconds=DISPOSAL_SECONDS))
    found = [moment for moment in candidates if moment is not None]
    return min(found) if found else now + timedelta(days=3650)


def run_due(now: datetime) -> int:
    """Perform every transition due at `now`, oldest first within each kind; return how many."""
    done = 0
    with schedule.run_lock:
        failed: set = set()
        while True:
            progressed = False
            for step in (_abandon_one, _expire_one, _auto_approve_one, _dispose_one):
                if step in failed:
                    continue
                try:
                    while step(now):
                        progressed = True
                        done += 1
                except Exception:
                    # A transition that cannot run must not turn the request that triggered it
                    # into a server error; it is logged and retried on the next check.
                    logger.exception("the %s transition failed", step.__name__)
                    failed.add(step)
            if not progressed:
                break
        with schedule.lock:
            schedule.next_due = _next_due_from_db(now)
    return done


def tokens_purge(now: datetime) -> int:
    """Forget UniqueRequestTokens older than 24 hours of emulator time."""
    limit = now - timedelta(seconds=TOKEN_TTL_SECONDS)
    deleted, _ = RequestToken.objects.filter(created_at__lt=limit).delete()
    return deleted
