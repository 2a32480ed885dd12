"""The account page shows the balance from GetAccountBalance, on demand, cached briefly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from apps.mturk.health import health_reset
from apps.requesters.health import requester_gateway_key
from apps.requesters.models import Requester
from apps.requesters.tasks import requesters_refresh_balances
from tests.fixtures.celery import wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache(account):
    cache.clear()
    health_reset(requester_gateway_key(account))  # account ids are reused between tests


def _balance_calls(emulator, account) -> int:
    stats = emulator.stats()
    per_customer = stats.get("customers", {}).get(account.access_key_id, {})
    return per_customer.get("GetAccountBalance", 0)


def test_the_balance_fragment_shows_mturks_figure_and_is_cached(
    login, alice, local_account, emulator
):
    client = login(alice)
    url = f"/accounts/{local_account.pk}/balance/"
    for _ in range(3):
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert "$10,000.00" in response.content.decode()
    assert _balance_calls(emulator, local_account) == 1
    client.get(url + "?refresh=1", HTTP_HX_REQUEST="true")
    assert _balance_calls(emulator, local_account) == 2
    assert Requester.objects.get(pk=local_account.pk).last_balance == Decimal("10000.00")


def test_an_unreachable_mturk_is_said_on_the_page_not_a_500(login, alice, account, settings):
    settings.MTURK_MAX_ATTEMPTS = 1
    response = login(alice).get(f"/accounts/{account.pk}/balance/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "MTurk did not answer" in response.content.decode()


def test_without_htmx_the_balance_comes_back_as_a_message(login, alice, local_account):
    response = login(alice).get(f"/accounts/{local_account.pk}/balance/", follow=True)
    assert "Available balance: $10,000.00" in response.content.decode()


def test_the_beat_task_refreshes_every_balance_in_a_real_worker(
    local_account, celery_worker_process
):
    requesters_refresh_balances.delay()
    wait_for(
        lambda: Requester.objects.get(pk=local_account.pk).last_balance == Decimal("10000.00"),
        message="the worker to store the balance",
    )


def test_the_accounts_list_reads_a_balance_never_read_once_and_keeps_it(
    login, victor, local_account, emulator
):
    client = login(victor)
    page = client.get("/").content.decode()
    cell = f'hx-get="/accounts/{local_account.pk}/balance/?in=list" hx-trigger="load"'
    assert cell in page
    assert "reading…" in page
    fragment = client.get(
        f"/accounts/{local_account.pk}/balance/?in=list", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert fragment.lstrip().startswith(
        f'<div class="balance-cell" id="balance-{local_account.pk}"'
    )
    assert "$10,000.00" in fragment and "as of " in fragment
    assert "<html" not in fragment and "Check now" not in fragment

    # Stored: the list shows it at once, says when it was read, and asks MTurk no more.
    page = client.get("/").content.decode()
    assert "$10,000.00" in page
    checked = Requester.objects.get(pk=local_account.pk).balance_checked_at
    assert f"as of {checked:%Y-%m-%d %H:%M} UTC" in page
    assert cell not in page
    assert _balance_calls(emulator, local_account) == 1


def test_the_list_says_when_mturk_does_not_answer_and_stops_asking(login, alice, account, settings):
    settings.MTURK_MAX_ATTEMPTS = 1
    fragment = (
        login(alice)
        .get(f"/accounts/{account.pk}/balance/?in=list", HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "MTurk did not answer" in fragment
    assert "hx-get" not in fragment  # no loop of requests from the row

    # MTurk is known to be failing this account: the list says so instead of asking again.
    page = login(alice).get("/").content.decode()
    assert f'id="balance-{account.pk}"' in page
    assert f"/accounts/{account.pk}/balance/?in=list" not in page
    assert "MTurk did not answer" in page


def test_another_accounts_balance_cell_is_not_found(login, charlie, local_account, emulator):
    response = login(charlie).get(
        f"/accounts/{local_account.pk}/balance/?in=list", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 404
    assert _balance_calls(emulator, local_account) == 0


def test_an_account_name_in_the_list_is_escaped(login, alice, account):
    Requester.objects.filter(pk=account.pk).update(
        name="<img src=x onerror=alert(1)>", last_balance=Decimal("1.5")
    )
    page = login(alice).get("/").content.decode()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "$1.50" in page
