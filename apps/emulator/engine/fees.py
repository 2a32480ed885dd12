"""MTurk's commission (July 2015 pricing), computed with Decimal only.

Per approved assignment: 20% of the reward, a further 20% when the HIT has 10 or more
MaxAssignments, a further 5% when it requires Masters; at least $0.01. Per bonus: 20%, at least
$0.01. The dashboard has its own copy of this rule; the emulator must not import it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
BASE_RATE = Decimal("0.20")
LARGE_BATCH_RATE = Decimal("0.20")
MASTERS_RATE = Decimal("0.05")
MASTERS_IDS = frozenset({"2F1QJWKUDD8XADTFD2Q0G6UTO95ALH", "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6"})


def _fee(amount: Decimal, rate: Decimal) -> Decimal:
    return max(CENT, (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP))


def assignment_fee(
    *, reward: Decimal, max_assignments: int, qualification_requirements: list[dict]
) -> Decimal:
    rate = BASE_RATE
    if max_assignments >= 10:
        rate += LARGE_BATCH_RATE
    if any(r.get("QualificationTypeId") in MASTERS_IDS for r in qualification_requirements):
        rate += MASTERS_RATE
    return _fee(reward, rate)


def bonus_fee(amount: Decimal) -> Decimal:
    return _fee(amount, BASE_RATE)


def money(value: Decimal) -> str:
    """Amounts travel as strings with two decimals ("0.50")."""
    return str(value.quantize(CENT))
