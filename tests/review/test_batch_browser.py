"""From a batch's page to its review queue and its bonus history, in a real browser."""

from __future__ import annotations

import pytest

from apps.batches import services as batch_services
from apps.requesters.models import Membership
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project, rows_csv
from tests.factories import PASSWORD
from tests.helpers import work

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _eager_and_files(settings, tmp_path):
    from mturkdash.celery import app

    settings.VAR_DIR = tmp_path
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_review_this_batch_then_pay_and_see_the_bonus_on_the_batch_page(
    page, bob, carol, local_account, emulator
):
    project = make_project(local_account, carol)
    batches = []
    for name in ("Pilot", "Main"):
        batch = make_batch(project, carol, rows_csv(2), name=name)
        batch_services.batch_launch(
            membership=Membership.objects.get(user=carol), actor=carol, batch=batch
        )
        batches.append(batch)
    pilot = batches[0]
    for batch in batches:
        for row in batch.rows.all():
            work(emulator, row.hit_mturk_id, {"label": batch.name.lower()})
    requester_sync(requester=local_account)

    page.goto("/login/")
    page.fill("#id_username", "bob")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/batches/{pilot.pk}/")
    page.click("text=Review this batch")
    page.wait_for_selector("[data-assignment]")

    assert page.locator("[data-assignment]").count() == 2
    assert page.locator("dd.answer", has_text="main").count() == 0
    assert page.locator("select[name=batch] option:checked").inner_text() == "Pilot"
    assert page.locator("select[name=status] option:checked").inner_text() == "To review"

    card = page.locator("[data-assignment]").first
    card.locator("input[name=amount]").fill("0.40")
    card.locator(".bonus-form input[name=reason]").fill("Careful labels")
    card.locator(".bonus-form button").click()
    page.wait_for_selector("text=Bonus of $0.40 paid.")

    page.goto(f"/batches/{pilot.pk}/#bonuses")
    section = page.locator("#bonuses")
    assert "$0.40" in section.inner_text() and "Careful labels" in section.inner_text()
    page.click("#bonuses >> text=Refresh from MTurk")
    page.wait_for_selector("text=MTurk lists 1 bonus payment.")
    assert page.locator("#bonuses tbody tr").count() == 1
    assert page.console_errors == []
