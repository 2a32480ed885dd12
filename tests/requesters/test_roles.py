"""The role matrix: what each role may do, enforced in services and views alike."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from apps.requesters import services
from apps.requesters.models import Membership
from apps.requesters.roles import Action, Role, role_allows

ALLOWED = {
    Role.VIEWER: {Action.VIEW},
    Role.REVIEWER: {Action.VIEW, Action.SYNC, Action.REVIEW, Action.BONUS},
    Role.MANAGER: {
        Action.VIEW,
        Action.SYNC,
        Action.REVIEW,
        Action.BONUS,
        Action.LAUNCH,
        Action.SPEND,
        Action.QUALIFICATIONS,
        Action.WORKERS,
    },
    Role.ADMIN: set(Action),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_role_matrix(role, action):
    assert role_allows(role, action) is (action in ALLOWED[role])


def test_a_viewer_cannot_review_but_a_reviewer_can_and_only_a_manager_launches():
    assert not role_allows(Role.VIEWER, Action.REVIEW)
    assert role_allows(Role.REVIEWER, Action.REVIEW)
    assert not role_allows(Role.REVIEWER, Action.LAUNCH)
    assert role_allows(Role.MANAGER, Action.LAUNCH)
    assert not role_allows(Role.MANAGER, Action.MANAGE_MEMBERS)


@pytest.mark.django_db
class TestSpending:
    def _membership(self, user):
        return Membership.objects.select_related("requester").get(user=user)

    def test_a_viewer_cannot_pay_a_bonus(self, victor):
        with pytest.raises(PermissionDenied):
            services.spend_authorize(
                membership=self._membership(victor),
                amount=Decimal("1.00"),
                fee=Decimal("0.20"),
                bonus=True,
            )

    def test_a_reviewer_pays_up_to_the_cap_and_no_more(self, bob, account):
        membership = self._membership(bob)
        services.spend_authorize(
            membership=membership, amount=account.bonus_cap, fee=Decimal("1.00"), bonus=True
        )
        with pytest.raises(services.SpendingRefused, match="above this account's cap"):
            services.spend_authorize(
                membership=membership,
                amount=account.bonus_cap + Decimal("0.01"),
                fee=Decimal("1.00"),
                bonus=True,
            )

    def test_a_manager_may_pass_the_cap_but_not_the_daily_limit(self, carol, account):
        from apps.audit.services import audit_record

        membership = self._membership(carol)
        services.spend_authorize(
            membership=membership, amount=Decimal("50.00"), fee=Decimal("10.00"), bonus=True
        )
        audit_record(
            actor=carol,
            requester=account,
            action="bonus.send",
            amount=Decimal("80.00"),
            fee=Decimal("16.00"),
        )
        assert services.requester_spent_today(account) == Decimal("96.00")
        with pytest.raises(services.SpendingRefused, match="daily limit"):
            services.spend_authorize(
                membership=membership, amount=Decimal("4.00"), fee=Decimal("0.80"), bonus=True
            )
        services.spend_authorize(
            membership=membership, amount=Decimal("3.00"), fee=Decimal("0.60"), bonus=False
        )
