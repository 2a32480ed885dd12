"""In Chromium: the page saying why a worker cannot take a batch's HITs, and a batch's top-up
preview, drawn without a console error. With SCREENSHOTS=1 (`make screenshots`) they are saved
as docs/screenshots/30-eligibility.png and 31-topup-preview.png."""

from __future__ import annotations

import pytest

from apps.qualifications.models import BatchGuard, QualificationScore
from apps.workers.models import WorkerBlock
from tests.batches.conftest import make_project
from tests.batches.test_eligibility import APPROVAL, WORKER, _batch, _did, _score, _type
from tests.batches.test_fair_pay import _batch_with_work
from tests.factories import PASSWORD
from tests.fixtures.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Requester accounts")


def test_the_eligibility_page_in_a_browser(page, carol, local_account):
    account = local_account
    past = _type(account, "Did study 1", group="exclude")
    skill = _type(account, "Skill")
    capped = _type(account, "Study 2 cap")
    _score(account, past, value=1, days_ago=12)
    _score(account, skill, value=72)
    batch = _batch(
        account,
        carol,
        [
            {"QualificationTypeId": past.mturk_id, "Comparator": "DoesNotExist"},
            {
                "QualificationTypeId": skill.mturk_id,
                "Comparator": "GreaterThanOrEqualTo",
                "IntegerValues": [70],
            },
            {
                "QualificationTypeId": APPROVAL,
                "Comparator": "GreaterThanOrEqualTo",
                "IntegerValues": [95],
            },
            {"QualificationTypeId": capped.mturk_id, "Comparator": "DoesNotExist"},
        ],
        hits=12,
    )
    BatchGuard.objects.create(
        requester=account, batch=batch, kind="cap", qualification_type=capped, limit=3
    )
    _did(batch, WORKER, 2)
    assert not WorkerBlock.objects.exists()
    assert QualificationScore.objects.filter(worker_id=WORKER).count() == 2

    _sign_in(page, "carol")
    page.goto(f"/batches/{batch.pk}/")
    page.click("text=Why can't a worker take these HITs?")
    page.fill("#id_worker", WORKER.lower())
    page.click("button:has-text('Check')")
    verdict = page.locator("[data-verdict]")
    verdict.wait_for()
    assert verdict.inner_text() == (
        f"Worker {WORKER} cannot take HITs of this batch: the exclusion group Did study 1."
    )
    rows = page.locator("[data-check]")
    assert rows.count() == 4
    assert "2 of 3 assignments submitted: may take 1 more." in page.inner_text("#eligibility")
    assert "MTurk computes this worker's approval rate" in page.inner_text("#eligibility")
    screenshot(page, "30-eligibility.png")
    assert page.console_errors == []


def test_the_top_up_preview_in_a_browser(page, carol, local_account):
    account = local_account
    project = make_project(account, carol, name="Label images")
    batch = _batch_with_work(account, project, "Pilot", [100, 200, 300, 420, 540, 610])
    _sign_in(page, "carol")
    page.goto(f"/batches/{batch.pk}/")
    assert "This batch paid under the account's rate" in page.inner_text("#fair-pay")
    page.click("text=Top up to $12.00/h")
    summary = page.locator("[data-topup-summary]")
    summary.wait_for()
    # 200, 300, 420, 540 s and 610 s capped at the 600 s allotted: $0.17 + $0.50 + $0.90 +
    # $1.30 + $1.50 = $4.37, and MTurk's 20% fee on each, rounded to the cent: $0.87.
    assert summary.inner_text().startswith("5 of 6 approved assignments")
    assert page.inner_text("[data-topup-total]") == "$5.24"
    assert page.locator("button:has-text('Pay 5 top-ups ($5.24)')").is_visible()
    screenshot(page, "31-topup-preview.png")
    assert page.console_errors == []
