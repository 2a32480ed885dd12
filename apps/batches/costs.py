"""A batch's cost before launch, always through the one fee module (`apps.mturk.fees`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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

    @property
    def assignments(self) -> int:
        return self.hits * self.max_assignments

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
    *, reward: Decimal | str, max_assignments: int, hits: int, requirements: list[dict]
) -> Estimate:
    """What `hits` HITs cost when every assignment is approved, rewards and fees apart."""
    reward = Decimal(reward)
    masters = requires_masters(requirements)
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
