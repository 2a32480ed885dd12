"""The account page shows the balance from GetAccountBalance, on demand, cached briefly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from apps.requesters.models import Requester
from apps.requesters.tasks import requesters_refresh_balances
from tests.fixtures.celery import wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


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
        assert "$10000.00" in response.content.decode()
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
    assert "Available balance: $10000.00" in response.content.decode()


def test_the_beat_task_refreshes_every_balance_in_a_real_worker(
    local_account, celery_worker_process
):
    requesters_refresh_balances.delay()
    wait_for(
        lambda: Requester.objects.get(pk=local_account.pk).last_balance == Decimal("10000.00"),
        message="the worker to store the balance",
    )
