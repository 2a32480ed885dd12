"""Bonuses by rule over a batch: a fixed amount per approved assignment, or an amount per gold
answer right. The result is a `BonusBatch` in preview, paid through the same flow as an uploaded
bonus CSV (priced against the balance, the reviewer's cap and the daily limit; each row's token
is made at random when the rows are, so paying twice pays once)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError

from apps.batches.models import Batch
from apps.hits.models import AssignmentStatus
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require
from apps.review.bonuses.bulk import bonus_batch_create
from apps.review.bonuses.services import bonus_amount_clean
from apps.review.decisions.services import feedback_clean
from apps.review.models import BonusBatch
from apps.review.quality.gold import batch_assignments, batch_gold_results

PER_APPROVED = "per_approved"
PER_GOLD_RIGHT = "per_gold_right"
MODES = {
    PER_APPROVED: "A fixed amount per approved assignment",
    PER_GOLD_RIGHT: "An amount per gold answer right (approved assignments)",
}


def batch_bonus_build(
    *, membership: Membership, actor, batch: Batch, mode: str, amount, reason: str
) -> BonusBatch:
    """Make the bonus rows of a rule over the batch's approved assignments, for preview."""
    membership_require(membership, Action.BONUS)
    if batch.requester_id != membership.requester_id:
        raise PermissionDenied("This batch belongs to another account.")
    if mode not in MODES:
        raise ValidationError("Choose how the bonus is counted.")
    amount = bonus_amount_clean(amount)
    reason = feedback_clean(reason, required=True)
    approved = list(
        batch_assignments(batch)
        .filter(status=AssignmentStatus.APPROVED)
        .order_by("submit_time", "pk")
        .values_list("pk", "mturk_id", "worker_id", "hit__mturk_id")
    )
    gold = batch_gold_results(batch) if mode == PER_GOLD_RIGHT else {}
    if mode == PER_GOLD_RIGHT and not batch.project.gold_fields:
        raise ValidationError("The project names no gold fields: no answer can be right.")
    rows = []
    for pk, assignment_id, worker_id, hit_id in approved:
        if mode == PER_GOLD_RIGHT:
            right = gold[pk][1].right if pk in gold else 0
            if not right:
                continue
            # Checked again: many answers right can take one bonus past the largest allowed.
            total = bonus_amount_clean(amount * right)
        else:
            total = amount
        rows.append(
            {
                "row": len(rows) + 1,
                "worker_id": worker_id,
                "assignment_id": assignment_id,
                "hit_id": hit_id,
                "amount": f"{total:.2f}",
                "reason": reason,
            }
        )
    if not rows:
        raise ValidationError(
            "No approved assignment of this batch has a gold answer right."
            if approved
            else "No approved assignment in this batch yet."
        )
    rule = (
        f"${amount:.2f} per approved assignment"
        if mode == PER_APPROVED
        else f"${amount:.2f} per gold answer right"
    )
    return bonus_batch_create(
        requester=membership.requester,
        created_by=actor,
        rows=rows,
        source_batch=batch,
        rule=f"{rule} on batch {batch.name}"[:200],
    )
