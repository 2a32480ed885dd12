from decimal import Decimal

import pytest
from django.template import Context, Template

from mturkdash.templatetags import duration, money


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("23.91000000000000"), "$23.91"),
        (Decimal("0.005"), "$0.01"),
        (1234.5, "$1,234.50"),
        (Decimal("-0.5"), "-$0.50"),
        (0, "$0.00"),
        (None, "—"),
        ("not money", "—"),
    ],
)
def test_money_always_two_decimals(value, shown):
    assert money(value) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (259_200, "3 days"),
        (273_600, "3 days 4 hours"),
        (3_600, "1 hour"),
        (2_700, "45 minutes"),
        (90, "1 minute 30 seconds"),
        (0, "0 seconds"),
        (None, "—"),
    ],
)
def test_duration_reads_as_days_hours_minutes(seconds, shown):
    assert duration(seconds) == shown


def test_filters_are_builtins():
    rendered = Template("{{ a|money }} {{ s|duration }}").render(
        Context({"a": Decimal("1.5"), "s": 86_400})
    )
    assert rendered == "$1.50 1 day"
