"""Every amount of money on the accounts list, the account page and the audit reads with two
decimals, whatever the database hands back (SQLite's sums come back as long floats)."""

from __future__ import annotations

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.audit.services import audit_record
from apps.mturk.health import health_reset
from apps.requesters.health import requester_gateway_key
from apps.requesters.models import Membership, Requester
from tests.factories import RequesterFactory

pytestmark = pytest.mark.django_db

# A dollar amount and whatever decimals follow it: each must have exactly two.
AMOUNT = re.compile(r"\$(\d[\d,]*)((?:\.\d*)?)")


class _Text(HTMLParser):
    """The text a person reads: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(response) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


def amounts_without_two_decimals(text: str) -> list[str]:
    return [
        match.group(0)
        for match in AMOUNT.finditer(text)
        if len(match.group(2)) != 3 or not match.group(2)[1:].isdigit()
    ]


def test_the_check_itself_catches_long_short_and_missing_decimals():
    text = "$23.91000000000000 and $0.5 and $12 and $1,234.50 and -$0.50 and $0.10."
    assert amounts_without_two_decimals(text) == ["$23.91000000000000", "$0.5", "$12"]


@pytest.fixture
def amounts(alice, account):
    """The account's own settings and figures with awkward stored values, and today's money
    entries whose SQLite sum is no exact decimal."""
    cache.clear()
    health_reset(requester_gateway_key(account))  # account ids are reused between tests
    Requester.objects.filter(pk=account.pk).update(
        last_balance=Decimal("23.91000000000000"),
        balance_checked_at=timezone.now(),
        bonus_cap=Decimal("0.5"),
        daily_spend_limit=Decimal("100"),
    )
    for amount, fee in ((Decimal("10.3"), Decimal("2.06")), (Decimal("11.25"), Decimal("0.3"))):
        audit_record(
            actor=alice,
            requester=account,
            action="bonus.send",
            target_type="assignment",
            target_id="A" * 30,
            amount=amount,
            fee=fee,
        )
    second = RequesterFactory(name="Second lab")
    Requester.objects.filter(pk=second.pk).update(
        last_balance=Decimal("0.5"), balance_checked_at=timezone.now()
    )
    Membership.objects.create(user=alice, requester=second, role="viewer")
    return account


def test_the_accounts_list_shows_balances_with_two_decimals(login, alice, amounts):
    text = page_text(login(alice).get("/"))
    assert "$23.91" in text
    assert "$0.50" in text
    assert amounts_without_two_decimals(text) == []


def test_the_account_page_shows_every_amount_with_two_decimals(login, alice, amounts):
    text = page_text(login(alice).get(f"/accounts/{amounts.pk}/"))
    assert "$23.91" in text  # the last known balance
    assert "Reviewers' bonus cap, per assignment $0.50" in text
    assert "Daily spending limit $100.00" in text
    assert "$23.91 of $100.00" in text  # 10.30 + 2.06 + 11.25 + 0.30 counted today
    assert amounts_without_two_decimals(text) == []


def test_the_audit_shows_amounts_fees_and_totals_with_two_decimals(login, alice, amounts):
    client = login(alice)
    text = page_text(client.get("/audit/"))
    assert "$10.30" in text and "$2.06" in text and "$0.30" in text
    assert amounts_without_two_decimals(text) == []
    text = page_text(client.get("/audit/", {"money_only": "on"}))
    assert "These entries add up to $23.91" in text
    assert amounts_without_two_decimals(text) == []


def test_the_balance_message_without_javascript_has_two_decimals(login, alice, local_account):
    cache.clear()
    response = login(alice).get(f"/accounts/{local_account.pk}/balance/", follow=True)
    assert "Available balance: $10,000.00" in page_text(response)


def test_a_refused_bonus_names_its_amounts_with_two_decimals(carol, bob, account):
    from apps.requesters.services import SpendingRefused, spend_authorize

    Requester.objects.filter(pk=account.pk).update(
        bonus_cap=Decimal("0.5"), daily_spend_limit=Decimal("1")
    )
    reviewer = Membership.objects.get(user=bob, requester=account)
    with pytest.raises(SpendingRefused) as refused:
        spend_authorize(
            membership=reviewer, amount=Decimal("0.75000000000000"), fee=Decimal("0"), bonus=True
        )
    assert str(refused.value) == (
        "A bonus of $0.75 is above this account's cap of $0.50 for reviewers."
    )
    manager = Membership.objects.get(user=carol, requester=account)
    with pytest.raises(SpendingRefused) as refused:
        spend_authorize(
            membership=manager,
            amount=Decimal("23.91000000000000"),
            fee=Decimal("0.5"),
            bonus=True,
        )
    assert str(refused.value) == (
        "This would spend $24.41 (with fees); $0.00 counted today of the daily limit of $1.00."
    )
