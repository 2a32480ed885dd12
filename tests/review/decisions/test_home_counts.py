"""The accounts page says how much waits for review and what MTurk approves by itself soon."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.hits.models import HIT, Assignment

pytestmark = pytest.mark.django_db


def _assignments(account, deadlines):
    hit = HIT.objects.create(
        requester=account,
        mturk_id="HCOUNTS0000000000000000000001",
        hit_type_mturk_id="T1",
        title="t",
        status="Reviewable",
        reward=Decimal("0.10"),
    )
    for i, (status, hours) in enumerate(deadlines):
        Assignment.objects.create(
            requester=account,
            mturk_id=f"ACOUNTS{i:023d}",
            hit=hit,
            worker_id=f"AWORKER{i:07d}",
            status=status,
            submit_time=timezone.now(),
            auto_approval_time=timezone.now() + timedelta(hours=hours),
        )


def test_the_accounts_page_counts_what_waits_and_what_auto_approves_soon(
    login, bob, account, other_account, django_assert_max_num_queries
):
    _assignments(
        account,
        [("Submitted", 2), ("Submitted", 5), ("Submitted", 72), ("Approved", 1), ("Rejected", 1)],
    )
    client = login(bob)
    with django_assert_max_num_queries(12):
        page = client.get("/").content.decode()
    assert '<td class="num">3 · <span class="deadline" data-soon>2 auto-approve within 24 h' in page
