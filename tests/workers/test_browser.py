"""Blocking from the worker page in a real browser, then messaging a batch's workers at once."""

from __future__ import annotations

import os

import pytest

from tests.factories import PASSWORD
from tests.workers.conftest import approve_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("WORKER_SCREENSHOTS")  # a folder: the pages are saved there as PNG


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Requester accounts")


def test_a_manager_blocks_and_unblocks_from_the_worker_page(page, carol, workers, account_mturk):
    _sign_in(page, "carol")
    page.goto(f"/workers/{workers[0]}/")
    heading = page.locator("h1")
    assert "blocked" not in heading.inner_text().lower()
    assert page.locator("button", has_text="Unblock").count() == 0
    _shot(page, "worker-never-blocked")

    page.fill("input[aria-label='Block reason']", "Copy-pasted answers")
    page.click("button.danger:text-is('Block')")
    page.wait_for_selector(f"text={workers[0]} is blocked from this account's HITs.")
    assert "BLOCKED" in heading.inner_text().upper()
    assert (
        page.locator("[data-block]")
        .inner_text()
        .endswith("Reason given to MTurk: Copy-pasted answers")
    )
    assert page.locator("button:text-is('Block')").count() == 0
    assert [b["WorkerId"] for b in account_mturk.list_worker_blocks()["WorkerBlocks"]] == [
        workers[0]
    ]
    _shot(page, "worker-blocked")

    page.click("button:text-is('Unblock')")
    page.wait_for_selector(f"text={workers[0]} is no longer blocked.")
    assert "blocked" not in heading.inner_text().lower()
    assert page.locator("button:text-is('Block')").count() == 1
    assert account_mturk.list_worker_blocks()["WorkerBlocks"] == []
    assert page.console_errors == []


def test_a_manager_messages_pasted_workers_after_counting_them(
    page, carol, workers, account_mturk, emulator, local_account
):
    approve_all(account_mturk)
    _sign_in(page, "carol")
    page.goto("/workers/")
    page.click("a:text-is('Message workers')")
    page.fill("#id_worker_ids", "\n".join(workers) + "\nAUNKNOWN0000001")
    page.fill("#id_subject", "A follow-up study")
    page.fill("#id_text", "Thank you: a new study opens tomorrow.")
    page.click("button:text-is('Count the workers')")
    page.wait_for_selector("button:text-is('Send to 4 workers')")
    _shot(page, "message-many-counted")
    page.click("button:text-is('Send to 4 workers')")
    page.wait_for_selector("text=Sent to 3 of 4 workers")
    assert page.locator("td code", has_text="AUNKNOWN0000001").count() == 1
    _shot(page, "message-many-sent")
    delivered = {
        w for n in emulator.notifications(local_account.access_key_id) for w in n["WorkerIds"]
    }
    assert delivered == set(workers)
    assert page.console_errors == []
