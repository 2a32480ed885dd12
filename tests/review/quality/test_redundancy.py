"""Adaptive redundancy: HITs whose workers disagree are asked again, within MTurk's rule on 10
assignments and a cost cap, by a button that says the count and cost or by a rule; the extra
answers reach the aggregate."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.batches.models import BatchAction
from apps.hits.models import HIT
from apps.requesters.models import Membership
from apps.review.models import RedundancyRule
from apps.review.quality import redundancy
from apps.review.quality.aggregate import batch_aggregate
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project
from tests.batches.test_views import eager, launch

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["eager"]

TEMPLATE = """<form name="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" name="assignmentId" value="">
<img src="${image_url}" alt="The photo">
<p>What animal is this?</p>
<label><input type="radio" name="animal" value="cat"> Cat</label>
<label><input type="radio" name="animal" value="dog"> Dog</label>
<input type="submit">
</form>"""
CSV = "image_url\nhttps://example.org/0.png\nhttps://example.org/1.png\nhttps://example.org/2.png\n"
SETTINGS = {"threshold": 0.8, "extra": 2, "max_per_hit": 7}


@pytest.fixture
def worked(login, carol, local_account, emulator, eager):
    """Three HITs of three assignments: one agreed, one contested, one still being worked."""
    project = make_project(
        local_account, carol, template=TEMPLATE, max_assignments=3, reward=Decimal("0.10")
    )
    batch = make_batch(project, carol, CSV)
    launch(login(carol), batch)
    hits = [batch.rows.get(index=i).hit_mturk_id for i in range(3)]
    votes = [["cat", "cat", "cat"], ["cat", "dog", "dog"], ["cat", "dog"]]
    for number, (hit_id, answers) in enumerate(zip(hits, votes, strict=True)):
        for worker, answer in enumerate(answers):
            emulator.complete(f"AWORKER{number}{worker}", hit_id, {"animal": answer})
    requester_sync(requester=local_account)
    return batch, hits


def _plan_page(client, batch, **settings):
    query = {"threshold": 80, "extra": 2, "max_per_hit": 7, **settings}
    return client.get(f"/review/batches/{batch.pk}/redundancy/", query)


def test_the_plan_takes_the_contested_hit_and_says_why_the_others_are_left(worked):
    batch, hits = worked
    plan = redundancy.redundancy_plan(batch, **SETTINGS)
    assert [c.hit.mturk_id for c in plan.candidates] == [hits[1]]
    (candidate,) = plan.candidates
    assert candidate.field == "animal"
    assert candidate.agreement == pytest.approx(2 / 3, abs=0.01)
    assert candidate.add == 2
    # Two more at $0.10 with MTurk's 20% fee (the HIT stays under 10 assignments).
    assert (plan.rewards, plan.fees, plan.total) == (
        Decimal("0.20"),
        Decimal("0.04"),
        Decimal("0.24"),
    )
    assert plan.skipped == {redundancy.AGREE: 1, redundancy.WORKING: 1}


def test_a_hit_made_with_fewer_than_10_grows_to_9_at_most(worked):
    batch, _ = worked
    plan = redundancy.redundancy_plan(batch, threshold=0.8, extra=50, max_per_hit=100)
    assert [c.add for c in plan.candidates] == [6]  # 3 -> 9, never 10 or more
    assert plan.fees == Decimal("0.12")  # still MTurk's 20%: under 10 assignments
    full = redundancy.redundancy_plan(batch, threshold=0.8, extra=2, max_per_hit=3)
    assert full.candidates == [] and full.skipped[redundancy.FULL] == 1


def test_the_cost_cap_leaves_out_what_it_cannot_pay(worked):
    batch, _ = worked
    plan = redundancy.redundancy_plan(batch, **SETTINGS, cost_cap=Decimal("0.23"))
    assert plan.candidates == []
    assert plan.skipped[redundancy.OVER_CAP] == 1


def test_settings_out_of_range_are_refused(worked):
    batch, _ = worked
    for bad in ({"threshold": 0}, {"threshold": 1.5}, {"extra": 0}, {"max_per_hit": 1}):
        with pytest.raises(redundancy.ValidationError):
            redundancy.redundancy_plan(batch, **{**SETTINGS, **bad})


def test_the_button_adds_what_it_showed_at_mturk_and_the_answers_join_the_aggregate(
    worked, login, carol, emulator, local_account
):
    batch, hits = worked
    client = login(carol)
    page = _plan_page(client, batch).content.decode()
    assert "2 more assignments on 1 HIT: $0.24" in page
    assert "Add 2 assignments for $0.24" in page
    assert "1 HIT agrees enough" in page and "1 HIT is still being worked" in page
    form = dict(
        re.findall(
            r'name="(\w+)" value="([^"]*)"', page.split("data-apply")[0].rsplit("<form", 1)[1]
        )
    )
    response = client.post(f"/review/batches/{batch.pk}/redundancy/apply/", form)
    assert response.status_code == 302
    action = BatchAction.objects.get(batch=batch)
    assert action.params["per_hit"] == {str(HIT.objects.get(mturk_id=hits[1]).pk): 2}
    assert (action.done, action.failed) == (1, 0)
    assert HIT.objects.get(mturk_id=hits[1]).max_assignments == 5
    entry = AuditEvent.objects.filter(action="batch.add_assignments").get()
    assert (entry.amount, entry.fee) == (Decimal("0.20"), Decimal("0.04"))
    # The HIT is being worked again: a second look adds nothing more.
    again = redundancy.redundancy_plan(batch, **SETTINGS)
    assert again.candidates == [] and again.skipped[redundancy.WORKING] == 2
    # Two more workers say dog: the aggregate takes them in and the HIT now agrees more.
    for worker in ("AWORKERX1", "AWORKERX2"):
        emulator.complete(worker, hits[1], {"animal": "dog"})
    requester_sync(requester=local_account)
    result = batch_aggregate(batch).items[hits[1]]["animal"]
    assert (result.value, result.answers) == ("dog", 5)
    assert result.agreement == pytest.approx(4 / 5, abs=0.01)


def test_a_plan_that_changed_since_it_was_shown_asks_again(worked, login, carol):
    batch, _ = worked
    client = login(carol)
    post = {"threshold": 80, "extra": 2, "max_per_hit": 7, "cost_cap": ""}
    response = client.post(
        f"/review/batches/{batch.pk}/redundancy/apply/",
        {**post, "expected_assignments": "2", "expected_total": "0.10"},
    )
    assert "The answers changed since you looked" in response.content.decode()
    assert not BatchAction.objects.exists()


def test_viewers_see_the_plan_without_buttons_and_cannot_post(worked, login, victor):
    batch, _ = worked
    client = login(victor)
    page = _plan_page(client, batch).content.decode()
    assert "2 more assignments on 1 HIT" in page
    assert "data-apply" not in page and "data-rule-save" not in page
    assert "Managers add assignments." in page
    post = {
        "threshold": 80,
        "extra": 2,
        "max_per_hit": 7,
        "expected_assignments": "2",
        "expected_total": "0.24",
    }
    assert client.post(f"/review/batches/{batch.pk}/redundancy/apply/", post).status_code == 403
    assert (
        client.post(
            f"/review/batches/{batch.pk}/redundancy/rule/", {**post, "cost_cap": "1"}
        ).status_code
        == 403
    )
    assert not BatchAction.objects.exists() and not RedundancyRule.objects.exists()


def test_another_accounts_member_finds_nothing(worked, login, charlie):
    batch, _ = worked
    client = login(charlie)
    assert _plan_page(client, batch).status_code == 404
    post = {
        "threshold": 80,
        "extra": 2,
        "max_per_hit": 7,
        "expected_assignments": "2",
        "expected_total": "0.24",
    }
    assert client.post(f"/review/batches/{batch.pk}/redundancy/apply/", post).status_code == 404
    assert not BatchAction.objects.exists()


def test_the_rule_adds_by_itself_within_its_cap_and_stops_with_its_author(
    worked, login, carol, emulator, local_account
):
    batch, hits = worked
    client = login(carol)
    response = client.post(
        f"/review/batches/{batch.pk}/redundancy/rule/",
        {"threshold": 80, "extra": 2, "max_per_hit": 9, "cost_cap": ""},
    )
    assert "A rule needs a cost cap" in response.content.decode()
    client.post(
        f"/review/batches/{batch.pk}/redundancy/rule/",
        {"threshold": 80, "extra": 2, "max_per_hit": 9, "cost_cap": "0.40"},
    )
    rule = RedundancyRule.objects.get(batch=batch)
    assert redundancy.rules_run_all() == {rule.pk: "Added 2 assignments to 1 HIT for $0.24."}
    rule.refresh_from_db()
    assert (rule.spent, rule.hits_extended, rule.assignments_added) == (Decimal("0.24"), 1, 2)
    assert HIT.objects.get(mturk_id=hits[1]).max_assignments == 5
    # Run again at once: the new assignments are out, nothing is added twice.
    assert redundancy.rules_run_all()[rule.pk].startswith("Nothing to add")
    # They come back split again: the $0.16 left cannot pay for two more.
    emulator.complete("AWORKERY1", hits[1], {"animal": "cat"})
    emulator.complete("AWORKERY2", hits[1], {"animal": "cat"})
    requester_sync(requester=local_account)
    note = redundancy.rules_run_all()[rule.pk]
    assert "over the cost cap" in note
    assert BatchAction.objects.count() == 1
    page = client.get(f"/review/batches/{batch.pk}/redundancy/").content.decode()
    assert "Spent $0.24 of $0.40" in page and "over the cost cap" in page
    # Its author leaves the account: the rule turns itself off.
    Membership.objects.filter(user=carol, requester=local_account).delete()
    assert redundancy.rules_run_all()[rule.pk].startswith("Turned off")
    assert not RedundancyRule.objects.get(pk=rule.pk).enabled
