"""Gradual release in Chromium: the plan set on the batch page before the launch, then the
waves table as the crowd works, a wave released by its button (htmx, no reload). With
SCREENSHOTS=1 the batch page's waves are saved to docs/screenshots/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from apps.batches import services
from apps.batches.models import Batch, BatchStatus
from apps.requesters.models import Membership
from tests.batches.conftest import make_batch, make_project, rows_csv
from tests.batches.test_project_browser import _sign_in
from tests.batches.test_waves import _work
from tests.batches.test_waves import eager as eager  # the shared fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _shot(locator, name: str) -> None:
    if os.environ.get("SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(SCREENSHOTS / name), animations="disabled")


def test_the_batch_page_plans_and_shows_the_waves(
    page, carol, local_account, emulator, eager, settings
):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(10), name="Spread")
    page.set_viewport_size({"width": 1280, "height": 1000})
    _sign_in(page, "carol")
    page.goto(f"/batches/{batch.pk}/")
    page.fill("#id_wave_size", "3")
    page.fill("#id_wave_done", "80")
    page.fill("#id_wave_every", "30")
    page.click("#wave-plan button:has-text('Release gradually')")
    page.wait_for_selector("#waves .message.success")
    assert "3 HITs per wave, the next when the last is 80% done or every 30 minutes." in (
        page.inner_text("#waves")
    )
    _shot(page.locator("#waves"), "32-waves-plan.png")
    batch.refresh_from_db()
    assert (batch.wave_size, batch.wave_done_percent, batch.wave_every_minutes) == (3, 80, 30)

    membership = Membership.objects.get(user=carol)
    services.batch_launch(membership=membership, actor=carol, batch=batch)
    batch.refresh_from_db()
    _work(emulator, local_account, batch, 1, count=2)
    page.goto(f"/batches/{batch.pk}/")
    condition = page.inner_text("[data-wave-condition]")
    assert condition.startswith("The next 3 HITs when wave 1 is 80% done: now 66%")

    page.click("#waves button:has-text('Release the next wave now')")
    page.wait_for_selector("#waves-table tr[data-wave='2']")
    assert "Wave 2: 3 HITs being published." in page.inner_text("#waves")
    assert "Waiting for their wave: 4 HITs" in page.inner_text("#waves")
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.LAUNCHED
    assert batch.rows.filter(hit__isnull=False).count() == 6
    page.wait_for_timeout(300)
    _shot(page.locator("#waves"), "33-waves.png")
    assert page.console_errors == []
