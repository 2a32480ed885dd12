"""In a real browser: the accounts list reads a balance never read by itself, and the error
pages keep the site's layout, without a Content-Security-Policy violation."""

from __future__ import annotations

import os

import pytest

from apps.mturk.health import health_reset
from apps.requesters.health import requester_gateway_key
from apps.requesters.models import Requester
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SCREENSHOTS_DIR", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Requester accounts")


def test_the_list_reads_the_balance_of_an_account_never_read(page, victor, local_account):
    health_reset(requester_gateway_key(local_account))
    assert Requester.objects.get(pk=local_account.pk).last_balance is None
    _sign_in(page, "victor")
    cell = page.locator(f"#balance-{local_account.pk}")
    cell.locator(".balance-figure").wait_for()
    assert cell.locator(".balance-figure").inner_text() == "$10,000.00"
    assert "as of " in cell.inner_text()
    assert "Read it now" not in cell.inner_text()
    _shot(page, "accounts-list")
    assert Requester.objects.get(pk=local_account.pk).last_balance is not None
    assert page.console_errors == []


def test_refusals_and_missing_pages_keep_the_layout(page, victor, account, other_account):
    _sign_in(page, "victor")
    response = page.goto(f"/accounts/{account.pk}/edit/")
    assert response.status == 403
    assert page.locator("nav.mainnav").is_visible()
    assert page.locator(".error-reason").inner_text() == (
        "Your role on Lab account, viewer, may not change the account's settings; "
        "ask an admin of the account."
    )
    _shot(page, "403")
    response = page.goto(f"/accounts/{other_account.pk}/")
    assert response.status == 404
    assert page.locator("#account-switcher").is_visible()
    assert "belongs to an account you are not a member of" in page.inner_text(".error-reason")
    _shot(page, "404")
    # The browser reports the two status codes themselves; nothing else may go wrong.
    assert [e for e in page.console_errors if "Failed to load resource" not in e] == []
