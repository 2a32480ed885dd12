from __future__ import annotations

from decimal import Decimal

import pytest

from apps.batches.costs import estimate
from apps.mturk.constants import QUAL_MASTERS_PRODUCTION, QUAL_PERCENT_APPROVED

MASTERS = [{"QualificationTypeId": QUAL_MASTERS_PRODUCTION, "Comparator": "Exists"}]
APPROVAL = [
    {
        "QualificationTypeId": QUAL_PERCENT_APPROVED,
        "Comparator": "GreaterThan",
        "IntegerValues": [95],
    }
]


@pytest.mark.parametrize(
    ("reward", "assignments", "requirements", "rewards", "fees", "rate"),
    [
        # 20% of $0.50 = $0.10 per assignment; 100 HITs x 3
        ("0.50", 3, APPROVAL, "150.00", "30.00", "20"),
        # 10+ assignments: 40%
        ("0.50", 10, [], "500.00", "200.00", "40"),
        # Masters: +5% (fees are rounded per assignment)
        ("0.50", 3, MASTERS, "150.00", "39.00", "25"),  # $0.125 rounds to $0.13
        # both: 45%
        ("1.00", 12, MASTERS, "1200.00", "540.00", "45"),
        # the $0.01 minimum per assignment: 20% of $0.02 is $0.004
        ("0.02", 2, [], "4.00", "2.00", "20"),
    ],
)
def test_the_cost_table_for_each_fee_case(reward, assignments, requirements, rewards, fees, rate):
    result = estimate(
        reward=reward, max_assignments=assignments, hits=100, requirements=requirements
    )
    assert result.cost.rewards == Decimal(rewards)
    assert result.cost.fees == Decimal(fees)
    assert result.total == Decimal(rewards) + Decimal(fees)
    assert result.fee_percent == Decimal(rate)
    assert result.assignments == 100 * assignments


def test_at_ten_assignments_it_says_what_nine_would_cost():
    result = estimate(reward="0.50", max_assignments=10, hits=100, requirements=[])
    assert result.large_batch
    assert result.with_nine.rewards == Decimal("450.00")
    assert result.with_nine.fees == Decimal("90.00")
    assert estimate(reward="0.50", max_assignments=9, hits=1, requirements=[]).with_nine is None


def test_the_minimum_fee_is_flagged():
    assert estimate(reward="0.02", max_assignments=1, hits=1, requirements=[]).minimum_fee_applies
    assert not estimate(
        reward="0.50", max_assignments=1, hits=1, requirements=[]
    ).minimum_fee_applies
