"""The shell of the UI in a real browser: sign in, the account with its badge, the switcher,
and no Content-Security-Policy violation on the way."""

from __future__ import annotations

import pytest

from apps.requesters.models import Membership
from tests.factories import PASSWORD, RequesterFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_signs_in_shows_the_account_and_switches(page, alice, local_account):
    sandbox = RequesterFactory(name="Sandbox lab", environment="sandbox")
    Membership.objects.create(user=alice, requester=sandbox, role="viewer")

    page.goto("/")
    assert "/login/" in page.url
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Requester accounts")
    assert page.locator("td a", has_text=local_account.name).is_visible()

    page.locator("td a", has_text=local_account.name).click()
    page.wait_for_selector("#balance .figure")
    assert page.locator("#balance .figure").inner_text() == "$10,000.00"
    assert page.locator(".topbar .badge").inner_text().lower() == "local mturk"

    # the switcher submits on change (no inline script: app.js does it)
    page.select_option("#account-switcher", str(sandbox.pk))
    page.wait_for_url(f"**/accounts/{sandbox.pk}/")
    assert page.locator(".topbar .badge").inner_text().lower() == "sandbox"

    assert page.console_errors == []
