"""Fair pay: the account's target hourly rate, the reward a pilot's median work time suggests at
it (set by a manager with a compare-and-set), and every batch's effective hourly pay."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.batches.models import Batch
from apps.batches.pay.rewards import MIN_TIMED, reward_at
from apps.hits.models import HIT, Assignment, HITType
from apps.requesters.models import Membership
from apps.review.bonuses.hourly import batch_hourly_pay
from apps.review.models import BonusPayment
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project
from tests.batches.test_views import eager, launch

__all__ = ["eager"]

ONE_ROW = "image_url,caption\nhttps://example.org/a.png,a\n"


def test_the_suggested_reward_is_rounded_up_to_the_cent():
    assert reward_at(Decimal("12.00"), 250) == Decimal("0.84")  # 0.8333...
    assert reward_at(Decimal("12.00"), 300) == Decimal("1.00")  # exact stays exact
    assert reward_at(Decimal("12.00"), 301) == Decimal("1.01")  # 1.00333... goes up
    assert reward_at(Decimal("7.25"), 1) == Decimal("0.01")  # never $0.00
    assert reward_at(Decimal("15.00"), 3600) == Decimal("15.00")


@pytest.mark.django_db(transaction=True)
def test_a_pilot_suggests_a_reward_and_a_manager_sets_it_once(
    login, carol, alice, bob, victor, charlie, local_account, emulator, eager
):
    project = make_project(local_account, carol, max_assignments=6, reward=Decimal("0.50"))
    batch = make_batch(project, carol, ONE_ROW, name="Pilot")
    manager = login(carol)
    launch(manager, batch)
    hit_id = batch.rows.get(index=0).hit_mturk_id
    times = (60, 120, 250, 300)
    for number, seconds in enumerate(times):
        assignment = emulator.accept(f"APILOT{number:08d}", hit_id)
        emulator.advance(seconds)
        emulator.submit(assignment, {"label": "a cat"})
    requester_sync(requester=local_account)

    page = manager.get(f"/batches/{batch.pk}/").content.decode()
    assert MIN_TIMED == 5
    assert "Batch Pilot has 4 timed assignments: a reward is suggested from 5 or more" in page
    assert "Set the project's reward" not in page

    assignment = emulator.accept("APILOT00000009", hit_id)
    emulator.advance(400)
    emulator.submit(assignment, {"label": "a cat"})
    requester_sync(requester=local_account)
    # Median of 60, 120, 250, 300, 400 s: 250 s; $12.00 x 250 / 3600 = $0.8333: $0.84.
    sentence = (
        "Batch Pilot's median work time was 4 minutes 10 seconds over 5 assignments:"
        " at $12.00/h the reward would be <strong>$0.84</strong>"
    )
    for url in (f"/batches/{batch.pk}/", f"/batches/projects/{project.pk}/"):
        page = manager.get(url).content.decode()
        assert sentence in page, url
        assert "Set the project's reward to $0.84" in page
    # A reviewer and a viewer read the suggestion without the button.
    assert (
        "Set the project's reward" not in login(bob).get(f"/batches/{batch.pk}/").content.decode()
    )

    form = {"expected": "0.50", "reward": "0.84", "rate": "12.00", "batch": str(batch.pk)}
    url = f"/batches/projects/{project.pk}/reward/"
    for user in (bob, victor):
        assert login(user).post(url, form).status_code == 403
    assert login(charlie).post(url, form).status_code == 404
    project.refresh_from_db()
    assert project.reward == Decimal("0.50")

    manager = login(carol)
    response = manager.post(url, form, follow=True)
    assert "The project&#x27;s reward is now $0.84" in response.content.decode()
    project.refresh_from_db()
    assert project.reward == Decimal("0.84")
    event = AuditEvent.objects.get(action="project.reward")
    assert event.details == {"before": "0.50", "after": "0.84", "rate": "12.00", "batch": batch.pk}

    # A page read before that change (it still shows $0.50) changes nothing, and says why.
    stale = {**form, "reward": "0.90"}
    response = manager.post(url, stale, follow=True)
    assert "The reward is $0.84 now, not the $0.50 this page showed" in response.content.decode()
    project.refresh_from_db()
    assert project.reward == Decimal("0.84")
    assert AuditEvent.objects.filter(action="project.reward").count() == 1
    # The launched batch keeps the reward it was launched with.
    batch.refresh_from_db()
    assert Decimal(batch.launch_properties["reward"]) == Decimal("0.50")


@pytest.mark.django_db
def test_an_admin_sets_the_accounts_rate_and_the_gallery_suggests_from_it(
    login, alice, carol, account
):
    assert account.target_hourly_rate == Decimal("12.00")
    page = login(alice).get(f"/accounts/{account.pk}/").content.decode()
    assert "$12.00 an hour: rewards are suggested from it" in page
    form = login(alice).get(f"/accounts/{account.pk}/edit/").context["form"]
    data = {name: form[name].value() or "" for name in form.fields if "new_" not in name}
    data.update(target_hourly_rate="15.00", credential_source=account.credential_source)
    response = login(alice).post(f"/accounts/{account.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert account.target_hourly_rate == Decimal("15.00")
    assert AuditEvent.objects.get(action="requester.update").details["target_hourly_rate"] == [
        "12.00",
        "15.00",
    ]
    gallery = login(carol).get("/batches/projects/gallery/").content.decode()
    assert "<strong data-rate>$15.00 an hour</strong>" in gallery
    # A manager may not change the rate.
    assert login(carol).post(f"/accounts/{account.pk}/edit/", data).status_code == 403


def _batch_with_work(account, project, name, works, *, duration=600, reward="0.50"):
    """A launched batch in the mirror with one HIT per work time, each approved."""
    batch = Batch.objects.create(
        project=project,
        requester=account,
        name=name,
        hit_type_mturk_id=f"T{name:0>29}"[:30],
        status="launched",
    )
    hit_type = HITType.objects.create(
        requester=account,
        mturk_id=f"TY{batch.pk:028d}",
        title="t",
        reward=Decimal(reward),
        assignment_duration=duration,
        auto_approval_delay=60,
    )
    start = timezone.now() - timedelta(hours=2)
    for number, seconds in enumerate(works):
        hit = HIT.objects.create(
            requester=account,
            mturk_id=f"H{batch.pk:04d}{number:025d}",
            hit_type=hit_type,
            hit_type_mturk_id=hit_type.mturk_id,
            title="t",
            status="Reviewable",
            reward=Decimal(reward),
            batch_key=batch.launch_key,
        )
        batch.rows.create(index=number, values={}, hit=hit, hit_mturk_id=hit.mturk_id)
        Assignment.objects.create(
            requester=account,
            mturk_id=f"A{batch.pk:04d}{number:025d}",
            hit=hit,
            worker_id=f"AW{number:012d}",
            status="Approved",
            accept_time=start,
            submit_time=start + timedelta(seconds=seconds),
            batch_key=batch.launch_key,
        )
    return batch


@pytest.mark.django_db
def test_the_effective_hourly_pay_counts_bonuses_and_caps_time_at_the_duration(
    login, carol, account
):
    project = make_project(account, carol)
    # 3 x $0.50 over 60 + 120 + 900 s, the last capped at the 600 s allotted: 780 s.
    batch = _batch_with_work(account, project, "Slow", [60, 120, 900])
    pay = batch_hourly_pay(batch)
    assert (pay.assignments, pay.rewards, pay.seconds) == (3, Decimal("1.50"), 780.0)
    assert pay.hourly == Decimal("6.92")  # 1.50 x 3600 / 780
    assert pay.under
    BonusPayment.objects.create(
        requester=account,
        worker_id="AW000000000000",
        assignment_mturk_id=f"A{batch.pk:04d}{0:025d}",
        amount=Decimal("1.50"),
        status="sent",
        unique_request_token="t1",
    )
    BonusPayment.objects.create(  # a failed bonus paid nothing
        requester=account,
        worker_id="AW000000000001",
        assignment_mturk_id=f"A{batch.pk:04d}{1:025d}",
        amount=Decimal("5.00"),
        status="failed",
        unique_request_token="t2",
    )
    pay = batch_hourly_pay(batch)
    assert (pay.bonuses, pay.hourly, pay.under) == (Decimal("1.50"), Decimal("13.85"), False)

    client = login(carol)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "Effective pay <strong>$13.85 an hour</strong> against the account's rate of" in page
    listing = client.get("/batches/").content.decode()
    assert "$13.85" in listing and "under $12.00" not in listing
    account.target_hourly_rate = Decimal("20.00")
    account.save(update_fields=["target_hourly_rate"])
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "This batch paid under the account's rate of $20.00 an hour." in page
    assert "under $20.00" in client.get("/batches/").content.decode()


@pytest.mark.django_db
def test_the_batches_list_pays_the_same_queries_for_more_batches(login, carol, account):
    project = make_project(account, carol)
    client = login(carol)
    _batch_with_work(account, project, "One", [100])
    client.get("/batches/")  # the session and caches warmed
    with CaptureQueriesContext(connection) as few:
        client.get("/batches/")
    for name in ("Two", "Three", "Four", "Five"):
        _batch_with_work(account, project, name, [100, 200, 300])
    Batch.objects.create(project=project, requester=account, name="Draft")
    with CaptureQueriesContext(connection) as many:
        page = client.get("/batches/").content.decode()
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert page.count("data-hourly") == 6
    assert "$18.00" in page  # $0.50 per 100 s of "One"
    # The draft has no pay, rather than every assignment without a launch key.
    assert "$9.00" in page  # $1.50 over 600 s
    assert Membership.objects.filter(user=carol).exists()
