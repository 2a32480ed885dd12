"""Review with the keyboard in a real browser: the cards update without a reload."""

from __future__ import annotations

import pytest

from apps.hits.models import Assignment
from apps.review.models import BonusPayment
from apps.sync.services import requester_sync
from tests.factories import PASSWORD
from tests.helpers import create_hit, work

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_keyboard_review_approve_reject_and_bonus(
    page, bob, local_account, account_mturk, emulator
):
    hit = create_hit(account_mturk, MaxAssignments=3)
    ids = [work(emulator, hit["HITId"], {"label": f"answer {n}"})[0] for n in range(3)]
    requester_sync(requester=local_account)

    page.goto("/login/")
    page.fill("#id_username", "bob")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/review/")
    page.wait_for_selector("[data-assignment]")
    page.evaluate("window.__marker = 'no reload'")

    first, second, third = (Assignment.objects.get(mturk_id=i).pk for i in ids)
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.wait_for_selector(f"#assignment-{first} .status-approved")

    # Approving moved the selection on to the second card (once the swap has settled).
    page.wait_for_selector(f"#assignment-{second}.selected")
    page.keyboard.press("r")
    page.wait_for_selector(f"#assignment-{second} [data-reject-feedback]:focus")
    page.keyboard.type("Does not answer the question")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#assignment-{second} .status-rejected")

    page.keyboard.press("Escape")
    page.wait_for_selector(f"#assignment-{third}.selected")
    page.keyboard.press("b")
    page.wait_for_selector(f"#assignment-{third} [data-bonus-amount]:focus")
    page.keyboard.type("0.75")
    page.keyboard.press("Tab")
    page.keyboard.type("Thorough")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#assignment-{third} >> text=Bonus of $0.75 paid.")

    assert page.evaluate("window.__marker") == "no reload"
    assert Assignment.objects.get(pk=first).status == "Approved"
    assert Assignment.objects.get(pk=second).requester_feedback == "Does not answer the question"
    assert BonusPayment.objects.get().amount == 0.75
    assert page.console_errors == []
