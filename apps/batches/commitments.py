"""What a batch counts against the account's daily limit, and what it gives back.

A launch commits the most its rows can cost (every assignment's reward and fee): MTurk pays
those workers even if nobody approves, by auto-approval. So the launch's audit entry carries
that amount, the approvals of its assignments carry none, and what can no longer be spent is
given back by an entry of the opposite sign on the day it becomes certain:

- a cancelled launch gives back the rows it never created;
- an expiry gives back the assignments of each HIT that no worker had taken;
- a rejection gives back its assignment (see `apps.review.decisions.services`).

Extending an expired HIT makes its untaken assignments takeable again: they are committed again.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count

from apps.audit.services import audit_record
from apps.batches.costs import requires_masters
from apps.batches.models import Batch, BatchRow, RowStatus
from apps.hits.models import HIT, HITStatus
from apps.mturk import fees


def assignment_cost(batch: Batch, *, reward: Decimal, max_assignments: int) -> fees.Cost:
    """One assignment's reward and MTurk's fee on it, for a HIT of this batch."""
    masters = requires_masters(batch.launch_properties.get("qualification_requirements") or [])
    fee = fees.assignment_fee(reward, max_assignments=max_assignments, masters=masters)
    return fees.Cost(rewards=reward, fees=fee)


def _give_back(batch: Batch, cost: fees.Cost, *, actor, reason: str, details: dict) -> None:
    if cost.rewards <= 0 and cost.fees <= 0:
        return
    audit_record(
        actor=actor,
        requester=batch.requester,
        action="batch.release",
        target_type="batch",
        target_id=batch.pk,
        amount=-cost.rewards,
        fee=-cost.fees,
        details={"reason": reason, **details},
    )


def rows_not_created_release(batch: Batch) -> None:
    """A cancelled launch gives back the rows it never created (pending, failed, or held for a
    wave that never came), each part of a split row at its own assignments."""
    props = batch.launch_properties
    if not props:
        return
    rows = BatchRow.objects.filter(
        batch=batch, status__in=[RowStatus.PENDING, RowStatus.FAILED, RowStatus.HELD]
    )
    per_row = props["max_assignments"]
    reward = Decimal(props["reward"])
    total = fees.Cost(rewards=Decimal("0.00"), fees=Decimal("0.00"))
    count = 0
    for size, n in rows.values_list("assignments").annotate(n=Count("pk")).order_by():
        size = size or per_row
        unit = assignment_cost(batch, reward=reward, max_assignments=size)
        total = fees.Cost(
            rewards=total.rewards + unit.rewards * size * n,
            fees=total.fees + unit.fees * size * n,
        )
        count += n
    _give_back(
        batch,
        total,
        actor=None,
        reason="cancelled before these rows were created",
        details={"rows": count},
    )


def untaken_assignments_release(batch: Batch, hit: HIT, *, actor) -> None:
    """An expired HIT gives back the assignments no worker had taken (`available` after the
    expiry was read from MTurk)."""
    if hit.available <= 0:
        return
    unit = assignment_cost(batch, reward=hit.reward, max_assignments=hit.max_assignments)
    _give_back(
        batch,
        fees.Cost(rewards=unit.rewards * hit.available, fees=unit.fees * hit.available),
        actor=actor,
        reason="expired before these assignments were taken",
        details={"hit": hit.mturk_id, "assignments": hit.available},
    )


def extension_cost(batch: Batch, hits: list[HIT], *, now) -> fees.Cost:
    """What extending these HITs commits again: the untaken assignments of those expired."""
    rewards = fee = Decimal("0")
    for hit in hits:
        # Untaken assignments of a HIT that is not assignable: it has expired (read from
        # MTurk's status, not from our clock).
        expired = hit.status != HITStatus.ASSIGNABLE or (hit.expiration and hit.expiration <= now)
        if expired and hit.available > 0:
            unit = assignment_cost(batch, reward=hit.reward, max_assignments=hit.max_assignments)
            rewards += unit.rewards * hit.available
            fee += unit.fees * hit.available
    return fees.Cost(rewards=rewards, fees=fee)
