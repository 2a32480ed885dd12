"""The daily spending limit holds launches too, and counts each cent once.

The account works by commitments: a launch counts its most (every assignment's reward and fee)
when it is made, since MTurk pays those workers even if nobody approves; approvals of that work
then count nothing, and rejections, cancellations and expiries give back what can no longer be
spent. Before, launches never checked the limit yet counted in it, and approvals counted the
same rewards again, so managers launched past the limit and reviewers were then refused the
approvals of that very batch (which MTurk auto-approves anyway).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.batches import actions, launch, services, tasks
from apps.batches.models import ActionKind, Batch, BatchAction, BatchStatus
from apps.hits.models import Assignment
from apps.requesters.models import Membership, Requester
from apps.requesters.services import SpendingRefused, requester_spent_today
from apps.review.decisions import services as decisions
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project, rows_csv
from tests.helpers import create_hit, new_worker_id

pytestmark = pytest.mark.django_db(transaction=True)

# make_project: $0.50 a HIT, one assignment, MTurk's 20% fee: $0.60 a row.
ROW = Decimal("0.60")


@pytest.fixture
def queued(monkeypatch):
    sent = []
    for name in ("batch_launch_task", "batch_chunk_task", "batch_action_task"):
        task = getattr(tasks, name)
        monkeypatch.setattr(task, "delay", lambda *args, _n=name: sent.append((_n, *args)))
    return sent


def _limit(account, amount: str) -> None:
    Requester.objects.filter(pk=account.pk).update(daily_spend_limit=Decimal(amount))


def _m(user, account):
    return Membership.objects.get(user=user, requester=account)


def _audit_sum(account) -> Decimal:
    return sum(
        (
            e.amount + e.fee
            for e in AuditEvent.objects.filter(requester=account, amount__isnull=False)
        ),
        Decimal("0"),
    )


def _launched(account, carol, rows: int, **project) -> Batch:
    batch = make_batch(make_project(account, carol, **project), carol, rows_csv(rows))
    services.batch_launch(membership=_m(carol, account), actor=carol, batch=batch)
    launch.batch_launch_run(batch.pk)
    return Batch.objects.get(pk=batch.pk)


def test_a_launch_past_the_daily_limit_is_refused_with_its_figures(
    local_account, account_mturk, carol, emulator, queued
):
    _limit(local_account, "1.00")
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(2))
    with pytest.raises(SpendingRefused) as refused:
        services.batch_launch(membership=_m(carol, local_account), actor=carol, batch=batch)
    assert str(refused.value) == (
        "This launch would commit $1.20 (with fees); $0.00 counted today of the daily limit "
        "of $1.00."
    )
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.VALIDATED
    assert queued == [] and account_mturk.list_hits()["HITs"] == []
    assert requester_spent_today(local_account) == 0


def test_a_launched_batch_counts_once_and_its_approvals_are_never_refused(
    local_account, account_mturk, carol, bob, emulator, queued
):
    _limit(local_account, "2.00")
    batch = _launched(local_account, carol, 3)
    assert requester_spent_today(local_account) == 3 * ROW
    for row in batch.rows.all():
        emulator.complete(new_worker_id(), row.hit_mturk_id, {"label": "cat"})
    requester_sync(requester=local_account)
    first, second, third = Assignment.objects.filter(hit__batch_rows__batch=batch).order_by("pk")

    # $1.80 committed of $2.00: approving all of it must not be refused (it is counted).
    for assignment in (first, second):
        outcome = decisions.assignment_approve(
            membership=_m(bob, local_account), assignment=assignment, actor=bob
        )
        assert outcome.done, outcome.message
    assert requester_spent_today(local_account) == 3 * ROW
    decisions.assignment_reject(
        membership=_m(bob, local_account), assignment=third, actor=bob, feedback="Wrong label."
    )
    assert requester_spent_today(local_account) == 2 * ROW  # the rejection gave its row back
    assert requester_spent_today(local_account) == _audit_sum(local_account)

    approvals = AuditEvent.objects.filter(requester=local_account, action="assignment.approve")
    assert [e.amount for e in approvals] == [None, None]
    assert {(e.details["reward"], e.details["fee"]) for e in approvals} == {("0.50", "0.10")}
    rejection = AuditEvent.objects.get(requester=local_account, action="assignment.reject")
    assert (rejection.amount, rejection.fee) == (Decimal("-0.50"), Decimal("-0.10"))

    # Overturning the rejection spends its row again, checked against the limit.
    outcome = decisions.assignment_approve(
        membership=_m(bob, local_account), assignment=Assignment.objects.get(pk=third.pk), actor=bob
    )
    assert outcome.done, outcome.message
    assert requester_spent_today(local_account) == 3 * ROW == _audit_sum(local_account)


def test_approvals_of_work_the_dashboard_did_not_launch_count_and_are_checked(
    local_account, account_mturk, bob, emulator
):
    _limit(local_account, "0.50")
    hit = create_hit(account_mturk, Reward="0.50")
    emulator.complete(new_worker_id(), hit["HITId"], {"label": "cat"})
    requester_sync(requester=local_account)
    assignment = Assignment.objects.get(hit__mturk_id=hit["HITId"])
    with pytest.raises(SpendingRefused, match=r"would spend \$0\.60 .* limit of \$0\.50\."):
        decisions.assignment_approve(
            membership=_m(bob, local_account), assignment=assignment, actor=bob
        )
    _limit(local_account, "1.00")
    assert decisions.assignment_approve(
        membership=_m(bob, local_account), assignment=assignment, actor=bob
    ).done
    assert requester_spent_today(local_account) == ROW == _audit_sum(local_account)


def test_a_cancelled_launch_gives_back_the_rows_it_never_created(
    local_account, account_mturk, carol, emulator, queued
):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(4))
    services.batch_launch(membership=_m(carol, local_account), actor=carol, batch=batch)
    assert requester_spent_today(local_account) == 4 * ROW
    services.batch_cancel(
        membership=_m(carol, local_account), actor=carol, batch=batch, expire=False
    )
    launch.batch_launch_run(batch.pk)
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.CANCELLED
    assert requester_spent_today(local_account) == 0 == _audit_sum(local_account)


def test_an_expiry_gives_back_untaken_assignments_and_an_extension_commits_them_again(
    local_account, account_mturk, carol, emulator, queued
):

    batch = _launched(local_account, carol, 2, max_assignments=2)
    assert requester_spent_today(local_account) == 4 * ROW
    hit_id = batch.rows.get(index=0).hit_mturk_id
    emulator.complete(new_worker_id(), hit_id, {"label": "cat"})

    expire = services.batch_action_start(
        membership=_m(carol, local_account), actor=carol, batch=batch, kind=ActionKind.EXPIRE
    )
    actions.batch_action_run(expire.pk)
    # One assignment was taken: the three untaken ones are given back.
    assert requester_spent_today(local_account) == ROW == _audit_sum(local_account)

    _limit(local_account, "1.00")
    with pytest.raises(SpendingRefused, match="This extension would commit"):
        services.batch_action_start(
            membership=_m(carol, local_account),
            actor=carol,
            batch=batch,
            kind=ActionKind.EXTEND,
            seconds=3600,
        )
    _limit(local_account, "100.00")
    extend = services.batch_action_start(
        membership=_m(carol, local_account),
        actor=carol,
        batch=batch,
        kind=ActionKind.EXTEND,
        seconds=3600,
    )
    actions.batch_action_run(extend.pk)
    assert BatchAction.objects.get(pk=extend.pk).failed == 0
    assert requester_spent_today(local_account) == 4 * ROW == _audit_sum(local_account)


def test_the_account_page_shows_the_days_figure_and_the_audit_adds_up_to_it(
    local_account, account_mturk, carol, victor, emulator, queued, login
):
    _limit(local_account, "5.00")
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(3))
    services.batch_launch(membership=_m(carol, local_account), actor=carol, batch=batch)
    client = login(victor)  # a viewer reads the figure too
    page = client.get(f"/accounts/{local_account.pk}/").content.decode()
    assert "$1.80 of $5.00" in page
    link = re.search(r'href="(/audit/\?requester=[^"]+)"', page).group(1).replace("&amp;", "&")
    audit = client.get(link).content.decode()
    assert "These entries add up to <strong>$1.80</strong>" in audit
