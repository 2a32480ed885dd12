"""Adaptive redundancy: more assignments for the items whose workers disagree.

A HIT is asked again when every assignment it was given has come back (submitted, approved or
rejected), its agreement is under the threshold, and it can still grow:

- its agreement is the lowest per-field agreement of its aggregated answer
  (`aggregate.batch_aggregate`), so one contested field is enough;
- MTurk refuses to take a HIT created with fewer than 10 assignments to 10 or more (the fee goes
  from 20% to 40% at 10), so such a HIT grows to 9 at most, whatever `max_per_hit` says;
- the extra cost (rewards and MTurk's fees) stays within a cap, the HITs that agree least going
  first.

`redundancy_plan` says what would be added and what it costs, and why each other HIT is left
alone; `redundancy_apply` adds it as one bulk action of the batch (CreateAdditionalAssignmentsForHIT
with a token per HIT, the spending checks of every commitment, an audit entry with the money).
A `RedundancyRule` does the same by itself every few minutes, within its cost cap. The new
answers reach the aggregate as any answer does: it is computed from the mirror when asked.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from apps.audit.services import audit_record
from apps.batches.models import ActionKind, ActionStatus, Batch, BatchAction
from apps.batches.services import batch_action_start
from apps.hits.models import HIT, AssignmentStatus
from apps.mturk import fees
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import SpendingRefused, membership_require
from apps.review.models import RedundancyRule

logger = logging.getLogger(__name__)

# What MTurk allows a HIT created with fewer than 10 assignments to grow to.
SMALL_HIT_MAX = fees.LARGE_BATCH_ASSIGNMENTS - 1
_DONE = [AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED]

AGREE, WORKING, UNMEASURED, FULL, EXPIRED, OVER_CAP, BUSY = (
    "agree",
    "working",
    "unmeasured",
    "full",
    "expired",
    "over_cap",
    "busy",
)
# Why a HIT is left alone: (said of one HIT, said of several).
REASONS = {
    AGREE: ("agrees enough", "agree enough"),
    WORKING: ("is still being worked", "are still being worked"),
    UNMEASURED: (
        "has no agreement to measure (fewer than two answers or no field to compare)",
        "have no agreement to measure (fewer than two answers or no field to compare)",
    ),
    FULL: (
        "already has the most assignments a HIT may have here",
        "already have the most assignments a HIT may have here",
    ),
    EXPIRED: ("has expired (extend it first)", "have expired (extend them first)"),
    OVER_CAP: ("is over the cost cap", "are over the cost cap"),
    BUSY: ("is already getting more assignments", "are already getting more assignments"),
}


@dataclass
class Candidate:
    hit: HIT
    agreement: float
    field: str  # the field that agrees least
    answers: int
    add: int
    rewards: Decimal
    fees: Decimal

    @property
    def cost(self) -> Decimal:
        return self.rewards + self.fees


@dataclass
class Plan:
    threshold: float
    extra: int
    max_per_hit: int
    cost_cap: Decimal | None
    candidates: list[Candidate] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)

    @property
    def hits(self) -> int:
        return len(self.candidates)

    @property
    def assignments(self) -> int:
        return sum(c.add for c in self.candidates)

    @property
    def rewards(self) -> Decimal:
        return sum((c.rewards for c in self.candidates), Decimal("0"))

    @property
    def fees(self) -> Decimal:
        return sum((c.fees for c in self.candidates), Decimal("0"))

    @property
    def total(self) -> Decimal:
        return self.rewards + self.fees

    @property
    def skipped_text(self) -> list[str]:
        return [
            f"{count} HIT{'s' if count != 1 else ''} {REASONS[reason][count != 1]}"
            for reason, count in sorted(self.skipped.items(), key=lambda item: -item[1])
        ]


def plan_clean(
    *, threshold, extra, max_per_hit, cost_cap
) -> tuple[float, int, int, Decimal | None]:
    """The plan's settings, checked: a threshold in (0, 1], at least one more assignment, a
    cap of assignments above the extra, a non-negative cost cap."""
    try:
        threshold = float(threshold)
        extra = int(extra)
        max_per_hit = int(max_per_hit)
        cost_cap = None if cost_cap in (None, "") else Decimal(str(cost_cap))
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ValidationError("Give numbers for the threshold, the counts and the cap.") from exc
    if not 0 < threshold <= 1:
        raise ValidationError("The agreement threshold is a share between 0 and 100%.")
    if not 1 <= extra <= 100:
        raise ValidationError("Add from 1 to 100 assignments per HIT.")
    if not 2 <= max_per_hit <= 1000:
        raise ValidationError("The most assignments per HIT is from 2 to 1,000.")
    if cost_cap is not None and (not cost_cap.is_finite() or cost_cap < 0):
        raise ValidationError("The cost cap cannot be negative.")
    return threshold, extra, max_per_hit, cost_cap


def _item_agreement(results: dict) -> tuple[float, str, int] | None:
    """The lowest agreement of a HIT's fields, the field, and the answers behind it."""
    measured = [
        (r.agreement, name, r.answers) for name, r in results.items() if r.agreement is not None
    ]
    return min(measured) if measured else None


def _busy_hits(batch: Batch) -> set[int]:
    """HITs an unfinished add-assignments action of the batch is still growing."""
    busy: set[int] = set()
    for ids in BatchAction.objects.filter(
        batch=batch,
        kind=ActionKind.ADD_ASSIGNMENTS,
        status__in=[ActionStatus.QUEUED, ActionStatus.RUNNING],
    ).values_list("hit_ids", flat=True):
        busy.update(ids)
    return busy


def redundancy_plan(
    batch: Batch,
    *,
    threshold: float,
    extra: int,
    max_per_hit: int,
    cost_cap: Decimal | None = None,
    aggregate=None,
) -> Plan:
    """What asking the disagreeing HITs again would add, cost and leave alone (read only)."""
    from apps.review.quality.aggregate import batch_aggregate

    threshold, extra, max_per_hit, cost_cap = plan_clean(
        threshold=threshold, extra=extra, max_per_hit=max_per_hit, cost_cap=cost_cap
    )
    plan = Plan(threshold=threshold, extra=extra, max_per_hit=max_per_hit, cost_cap=cost_cap)
    aggregate = aggregate if aggregate is not None else batch_aggregate(batch)
    busy = _busy_hits(batch)
    now = timezone.now()
    hits = (
        HIT.objects.filter(batch_rows__batch=batch, gone_at__isnull=True)
        .annotate(done=Count("assignments", filter=Q(assignments__status__in=_DONE)))
        .order_by("pk")
    )
    found: list[Candidate] = []
    for hit in hits:
        measured = _item_agreement(aggregate.items.get(hit.mturk_id, {}))
        if measured is None:
            plan.skipped[UNMEASURED] += 1
            continue
        agreement, name, answers = measured
        if agreement >= threshold:
            plan.skipped[AGREE] += 1
            continue
        if hit.pk in busy:
            plan.skipped[BUSY] += 1
            continue
        if hit.done < hit.max_assignments:
            plan.skipped[WORKING] += 1
            continue
        if hit.expiration is not None and hit.expiration <= now:
            plan.skipped[EXPIRED] += 1
            continue
        ceiling = max_per_hit
        if hit.max_assignments < fees.LARGE_BATCH_ASSIGNMENTS:
            ceiling = min(ceiling, SMALL_HIT_MAX)
        add = min(extra, ceiling - hit.max_assignments)
        if add < 1:
            plan.skipped[FULL] += 1
            continue
        fee = fees.assignment_fee(hit.reward, max_assignments=hit.max_assignments + add)
        found.append(
            Candidate(
                hit=hit,
                agreement=agreement,
                field=name,
                answers=answers,
                add=add,
                rewards=hit.reward * add,
                fees=fee * add,
            )
        )
    found.sort(key=lambda c: (c.agreement, c.hit.pk))
    spent = Decimal("0")
    for candidate in found:
        if cost_cap is not None and spent + candidate.cost > cost_cap:
            plan.skipped[OVER_CAP] += 1
            continue
        spent += candidate.cost
        plan.candidates.append(candidate)
    return plan


def redundancy_apply(*, membership: Membership, actor, batch: Batch, plan: Plan) -> BatchAction:
    """Add the plan's assignments as one bulk action (checked as any commitment of money)."""
    if not plan.candidates:
        raise ValidationError("No HIT needs more assignments.")
    return batch_action_start(
        membership=membership,
        actor=actor,
        batch=batch,
        kind=ActionKind.ADD_ASSIGNMENTS,
        per_hit={c.hit.pk: c.add for c in plan.candidates},
        commitment="More assignments for the disagreeing HITs",
    )


# --- the rule ------------------------------------------------------------------------------


def rule_save(
    *, membership: Membership, actor, batch: Batch, threshold, extra, max_per_hit, cost_cap
) -> RedundancyRule:
    """Make (or change) the batch's rule; it runs from the next beat on."""
    membership_require(membership, Action.LAUNCH)
    if batch.requester_id != membership.requester_id:
        raise PermissionDenied("This batch belongs to another account.")
    threshold, extra, max_per_hit, cost_cap = plan_clean(
        threshold=threshold, extra=extra, max_per_hit=max_per_hit, cost_cap=cost_cap
    )
    if cost_cap is None:
        raise ValidationError("A rule needs a cost cap: it spends without asking.")
    with transaction.atomic():
        rule, created = RedundancyRule.objects.update_or_create(
            batch=batch,
            defaults={
                "requester": batch.requester,
                "threshold": threshold,
                "extra": extra,
                "max_per_hit": max_per_hit,
                "cost_cap": cost_cap,
                "enabled": True,
                "created_by": actor,
            },
        )
        audit_record(
            actor=actor,
            requester=batch.requester,
            action="review.redundancy_rule_create" if created else "review.redundancy_rule_change",
            target_type="batch",
            target_id=batch.pk,
            amount=cost_cap,
            details={"rule": rule.describe(), "spent": str(rule.spent)},
        )
    return rule


def rule_set_enabled(*, membership: Membership, actor, rule: RedundancyRule, enabled: bool) -> None:
    membership_require(membership, Action.LAUNCH)
    if rule.requester_id != membership.requester_id:
        raise PermissionDenied("This rule belongs to another account.")
    RedundancyRule.objects.filter(pk=rule.pk).update(enabled=enabled)
    audit_record(
        actor=actor,
        requester=rule.requester,
        action="review.redundancy_rule_" + ("enable" if enabled else "disable"),
        target_type="batch",
        target_id=rule.batch_id,
        details={"rule": rule.describe()},
    )


def _rule_author(rule: RedundancyRule) -> Membership | None:
    if not rule.created_by_id:
        return None
    return (
        Membership.objects.filter(user=rule.created_by, requester_id=rule.requester_id)
        .select_related("requester")
        .first()
    )


def rule_run(rule_id: int) -> str:
    """One run of a rule: the plan within what is left of its cap, added as its author. Says
    what it did (kept on the rule as `last_note`)."""
    with transaction.atomic():
        rule = (
            RedundancyRule.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("batch", "requester", "created_by")
            .filter(pk=rule_id, enabled=True)
            .first()
        )
        if rule is None:
            return ""  # disabled, gone, or another run holds it
        note = _rule_step(rule)
        RedundancyRule.objects.filter(pk=rule.pk).update(last_run_at=timezone.now(), last_note=note)
    return note


def _rule_step(rule: RedundancyRule) -> str:
    membership = _rule_author(rule)
    if membership is None:
        RedundancyRule.objects.filter(pk=rule.pk).update(enabled=False)
        return "Turned off: the person who made it is no longer a member of the account."
    left = rule.cost_cap - rule.spent
    plan = redundancy_plan(
        rule.batch,
        threshold=rule.threshold,
        extra=rule.extra,
        max_per_hit=rule.max_per_hit,
        cost_cap=max(left, Decimal("0")),
    )
    if not plan.candidates:
        return "Nothing to add: " + ("; ".join(plan.skipped_text) or "no HIT yet") + "."
    try:
        redundancy_apply(membership=membership, actor=rule.created_by, batch=rule.batch, plan=plan)
    except (PermissionDenied, SpendingRefused, ValidationError) as exc:
        text = " ".join(getattr(exc, "messages", [str(exc)]))
        return f"Refused: {text}"
    RedundancyRule.objects.filter(pk=rule.pk).update(
        spent=rule.spent + plan.total,
        hits_extended=rule.hits_extended + plan.hits,
        assignments_added=rule.assignments_added + plan.assignments,
    )
    return (
        f"Added {plan.assignments} assignment{'s' if plan.assignments != 1 else ''} to "
        f"{plan.hits} HIT{'s' if plan.hits != 1 else ''} for ${plan.total:.2f}."
    )


def rules_run_all() -> dict[int, str]:
    """Every enabled rule once; one rule's trouble does not stop the others."""
    notes = {}
    for rule_id in RedundancyRule.objects.filter(enabled=True).values_list("pk", flat=True):
        try:
            notes[rule_id] = rule_run(rule_id)
        except Exception as exc:  # an outage: kept on the rule, shown on the page
            logger.exception("redundancy rule %s failed", rule_id)
            RedundancyRule.objects.filter(pk=rule_id).update(
                last_run_at=timezone.now(), last_note=f"The run stopped: {exc}"[:2000]
            )
    return notes
