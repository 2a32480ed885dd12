from decimal import Decimal

import pytest

from apps.mturk import fees


@pytest.mark.parametrize(
    ("reward", "assignments", "masters", "fee"),
    [
        ("0.01", 1, False, "0.01"),  # 0.002 -> the $0.01 minimum
        ("0.04", 3, False, "0.01"),  # 0.008 -> minimum
        ("0.05", 1, False, "0.01"),  # exactly 0.01
        ("0.10", 1, False, "0.02"),
        ("0.50", 9, False, "0.10"),
        ("0.50", 10, False, "0.20"),  # 10 or more assignments: 40%
        ("0.50", 10, True, "0.23"),  # 45% of 0.50 = 0.225 -> half up
        ("0.50", 1, True, "0.13"),  # 25% of 0.50 = 0.125 -> half up
        ("0.03", 10, False, "0.01"),  # 0.012 -> 0.01
        ("0.07", 1, False, "0.01"),  # 0.014 -> 0.01
        ("0.08", 1, False, "0.02"),  # 0.016 -> 0.02
        ("0.125", 1, False, "0.03"),  # 0.025 -> half up to 0.03
        ("1.00", 1, False, "0.20"),
        ("12.34", 100, True, "5.55"),  # 0.45 * 12.34 = 5.553
        ("0.00", 1, False, "0.01"),
    ],
)
def test_assignment_fee(reward, assignments, masters, fee):
    assert fees.assignment_fee(reward, max_assignments=assignments, masters=masters) == Decimal(fee)


@pytest.mark.parametrize(
    ("bonus", "fee"),
    [
        ("0.01", "0.01"),
        ("0.04", "0.01"),
        ("0.10", "0.02"),
        ("0.25", "0.05"),
        ("1.00", "0.20"),
        ("2.33", "0.47"),
    ],
)
def test_bonus_fee(bonus, fee):
    assert fees.bonus_fee(bonus) == Decimal(fee)


def test_hits_cost_adds_rewards_and_fees_per_assignment():
    cost = fees.hits_cost("0.50", max_assignments=3, hits=100)
    assert cost.rewards == Decimal("150.00")
    assert cost.fees == Decimal("30.00")
    assert cost.total == Decimal("180.00")


def test_ten_assignments_double_the_fee_against_nine():
    nine = fees.hits_cost("1.00", max_assignments=9, hits=10)
    ten = fees.hits_cost("1.00", max_assignments=10, hits=10)
    assert nine.fees / 90 == Decimal("0.20")
    assert ten.fees / 100 == Decimal("0.40")


def test_money_is_decimal_and_never_negative():
    assert isinstance(fees.bonus_fee("1"), Decimal)
    with pytest.raises(ValueError, match="negative"):
        fees.bonus_fee("-1.00")
    with pytest.raises(TypeError):
        fees.assignment_fee(0.5, max_assignments=1)  # a float never enters money code
