"""MTurk's commission, in one place.

Source: Amazon Mechanical Turk pricing (announced June 2015, in force since 21 July 2015;
https://requester.mturk.com/pricing): 20% of the reward and of bonuses, at least $0.01 per
assignment and per bonus; a further 20% of the reward for HITs with 10 or more assignments;
Masters adds 5% of the reward.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MINIMUM_FEE = CENT
BASE_RATE = Decimal("0.20")
LARGE_BATCH_RATE = Decimal("0.20")
LARGE_BATCH_ASSIGNMENTS = 10
MASTERS_RATE = Decimal("0.05")
BONUS_RATE = Decimal("0.20")


def _money(value: Decimal | str | int) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"money is a Decimal or a string, never a float: {value!r}")
    amount = Decimal(value)
    if amount < 0:
        raise ValueError(f"an amount of money cannot be negative: {value}")
    return amount


def _fee(amount: Decimal, rate: Decimal) -> Decimal:
    return max(MINIMUM_FEE, (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP))


def assignment_fee_rate(*, max_assignments: int, masters: bool = False) -> Decimal:
    rate = BASE_RATE
    if max_assignments >= LARGE_BATCH_ASSIGNMENTS:
        rate += LARGE_BATCH_RATE
    if masters:
        rate += MASTERS_RATE
    return rate


def assignment_fee(
    reward: Decimal | str, *, max_assignments: int, masters: bool = False
) -> Decimal:
    """MTurk's fee for one approved assignment of a HIT with this reward and MaxAssignments."""
    return _fee(
        _money(reward), assignment_fee_rate(max_assignments=max_assignments, masters=masters)
    )


def bonus_fee(amount: Decimal | str) -> Decimal:
    """MTurk's fee for one bonus payment."""
    return _fee(_money(amount), BONUS_RATE)


@dataclass(frozen=True)
class Cost:
    rewards: Decimal
    fees: Decimal

    @property
    def total(self) -> Decimal:
        return self.rewards + self.fees


def hits_cost(
    reward: Decimal | str, *, max_assignments: int, hits: int = 1, masters: bool = False
) -> Cost:
    """What `hits` HITs cost when every assignment is approved: rewards and fees apart."""
    reward = _money(reward)
    fee = assignment_fee(reward, max_assignments=max_assignments, masters=masters)
    assignments = max_assignments * hits
    return Cost(rewards=reward * assignments, fees=fee * assignments)


def bonus_cost(amount: Decimal | str) -> Cost:
    amount = _money(amount)
    return Cost(rewards=amount, fees=bonus_fee(amount))
