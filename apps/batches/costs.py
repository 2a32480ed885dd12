"""A batch's cost before launch, always through the one fee module (`apps.mturk.fees`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from apps.batches import splitting
from apps.mturk import fees
from apps.mturk.constants import MASTERS_IDS


def requires_masters(requirements: list[dict]) -> bool:
    return any(r.get("QualificationTypeId") in MASTERS_IDS for r in requirements or [])


@dataclass(frozen=True)
class Estimate:
    hits: int
    reward: Decimal
    max_assignments: int
    masters: bool
    cost: fees.Cost
    fee_rate: Decimal
    fee_per_assignment: Decimal
    # At 10 or more assignments per HIT: what the same batch costs with 9 (the fee halves).
    with_nine: fees.Cost | None
    # Rows split into HITs of at most 9 (apps/batches/splitting.py): the CSV rows, what each
    # asks for, and what the batch would cost published as one HIT per row.
    rows: int = 0
    per_row: int = 0
    unsplit: fees.Cost | None = None

    @property
    def assignments(self) -> int:
        if self.split:
            return self.rows * self.per_row
        return self.hits * self.max_assignments

    @property
    def split(self) -> bool:
        return self.unsplit is not None

    @property
    def saving(self) -> Decimal:
        return self.unsplit.total - self.total if self.unsplit else Decimal("0.00")

    @property
    def total(self) -> Decimal:
        return self.cost.total

    @property
    def fee_percent(self) -> Decimal:
        return (self.fee_rate * 100).normalize()

    @property
    def large_batch(self) -> bool:
        return self.max_assignments >= fees.LARGE_BATCH_ASSIGNMENTS

    @property
    def minimum_fee_applies(self) -> bool:
        return self.fee_per_assignment == fees.MINIMUM_FEE and (
            self.reward * self.fee_rate < fees.MINIMUM_FEE
        )


def estimate(
    *,
    reward: Decimal | str,
    max_assignments: int,
    hits: int,
    requirements: list[dict],
    split: bool = False,
) -> Estimate:
    """What `hits` HITs cost when every assignment is approved, rewards and fees apart.

    With `split`, `hits` rows asking for `max_assignments` each are published as HITs of at most
    9 (when they ask for 10 or more): the estimate counts those HITs and says what one HIT per
    row would have cost.
    """
    reward = Decimal(reward)
    masters = requires_masters(requirements)
    sizes = splitting.part_sizes(max_assignments, split=split)
    if len(sizes) > 1:
        assignments = hits * max_assignments
        # Every part has fewer than 10 assignments: one fee rate for all of them.
        rate_of = sizes[0]
        return Estimate(
            hits=hits * len(sizes),
            reward=reward,
            max_assignments=sizes[0],
            masters=masters,
            cost=fees.hits_cost(reward, max_assignments=1, hits=assignments, masters=masters),
            fee_rate=fees.assignment_fee_rate(max_assignments=rate_of, masters=masters),
            fee_per_assignment=fees.assignment_fee(
                reward, max_assignments=rate_of, masters=masters
            ),
            with_nine=None,
            rows=hits,
            per_row=max_assignments,
            unsplit=fees.hits_cost(
                reward, max_assignments=max_assignments, hits=hits, masters=masters
            ),
        )
    with_nine = None
    if max_assignments >= fees.LARGE_BATCH_ASSIGNMENTS:
        nine = fees.LARGE_BATCH_ASSIGNMENTS - 1
        with_nine = fees.hits_cost(reward, max_assignments=nine, hits=hits, masters=masters)
    return Estimate(
        hits=hits,
        reward=reward,
        max_assignments=max_assignments,
        masters=masters,
        cost=fees.hits_cost(reward, max_assignments=max_assignments, hits=hits, masters=masters),
        fee_rate=fees.assignment_fee_rate(max_assignments=max_assignments, masters=masters),
        fee_per_assignment=fees.assignment_fee(
            reward, max_assignments=max_assignments, masters=masters
        ),
        with_nine=with_nine,
    )
