"""MTurk's health per account: recorded by the gateway, shown as a banner on every page."""

from __future__ import annotations

import re
import socket
import threading
from datetime import UTC, datetime

import pytest

from apps.mturk.errors import MTurkNotFound, MTurkUnavailable
from apps.mturk.health import FileHealthStore, health_failure, health_get, health_reset
from apps.requesters.health import requester_gateway_key, requester_mturk_health
from apps.requesters.services import requester_gateway

pytestmark = pytest.mark.django_db

BANNER = re.compile(
    r"MTurk is not answering since (\d\d:\d\d); (\d+) calls? failed; retrying\.", re.S
)


@pytest.fixture(autouse=True)
def _healthy(account, other_account):
    """Records outlive a test's database rollback, and ids are reused: start clean."""
    for requester in (account, other_account):
        health_reset(requester_gateway_key(requester))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unreachable(account, settings):
    """The account pointed at a port nobody listens on; botocore tries once."""
    settings.MTURK_MAX_ATTEMPTS = 1
    account.endpoint_url = f"http://127.0.0.1:{_closed_port()}"
    account.save(update_fields=["endpoint_url"])
    return account


def _fail(account, times: int = 1) -> None:
    gateway = requester_gateway(account)
    for _ in range(times):
        with pytest.raises(MTurkUnavailable):
            gateway.call("get_account_balance")


def test_it_shows_the_banner_on_every_page_while_mturk_does_not_answer(login, alice, unreachable):
    client = login(alice)
    assert "not answering" not in client.get("/").content.decode()

    _fail(unreachable, times=3)

    health = requester_mturk_health(unreachable)
    assert health is not None and health.failures == 3
    for url in ("/", "/batches/", "/hits/", "/review/", f"/accounts/{unreachable.pk}/"):
        page = client.get(url).content.decode()
        match = BANNER.search(page)
        assert match, url
        assert match.group(1) == health.since.strftime("%H:%M")  # TIME_ZONE is UTC here
        assert match.group(2) == "3"
    account_page = client.get(f"/accounts/{unreachable.pk}/").content.decode()
    assert "Degraded" in account_page and "Could not connect" in account_page


def test_the_next_successful_call_clears_it(login, alice, unreachable, emulator_server):
    _fail(unreachable, times=2)
    unreachable.endpoint_url = emulator_server.url
    unreachable.save(update_fields=["endpoint_url"])

    requester_gateway(unreachable).call("get_account_balance")

    assert requester_mturk_health(unreachable) is None
    page = login(alice).get(f"/accounts/{unreachable.pk}/").content.decode()
    assert not BANNER.search(page)
    assert "Answering" in page


def test_a_refusal_is_an_answer_not_an_outage(unreachable, emulator_server):
    _fail(unreachable)
    unreachable.endpoint_url = emulator_server.url
    unreachable.save(update_fields=["endpoint_url"])

    with pytest.raises(MTurkNotFound):
        requester_gateway(unreachable).call("get_hit", HITId="3NOSUCHHIT0000000000000000000X")

    assert requester_mturk_health(unreachable) is None


def test_the_banner_fragment_refreshes_for_htmx_and_escapes_the_error(login, alice, account):
    key = requester_gateway_key(account)
    _fail_with(key, "<script>alert(1)</script> connection refused")
    client = login(alice)

    fragment = client.get("/accounts/mturk-health/", HTTP_HX_REQUEST="true").content.decode()

    assert fragment.lstrip().startswith('<div id="mturk-health"')
    assert 'hx-trigger="every 10s"' in fragment
    assert BANNER.search(fragment)
    assert "<script>alert" not in fragment and "&lt;script&gt;" in fragment
    assert client.get("/accounts/mturk-health/").status_code == 302  # not a page of its own


def test_an_account_sees_only_its_own_health(login, charlie, account, other_account):
    _fail_with(requester_gateway_key(account), "down")

    page = login(charlie).get("/").content.decode()

    assert not BANNER.search(page)
    assert requester_mturk_health(other_account) is None


def test_the_file_store_counts_failures_from_many_threads(tmp_path):
    store = FileHealthStore(tmp_path)
    now = datetime.now(UTC)

    def fail() -> None:
        for _ in range(25):
            store.failure("k", "refused", now)

    threads = [threading.Thread(target=fail) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    health = store.get("k")
    assert health.failures == 100 and health.since == now and health.last_error == "refused"
    store.success("k")
    assert store.get("k") is None
    store.success("k")  # clearing twice is harmless


def _fail_with(key: str, message: str) -> None:
    health_failure(key, MTurkUnavailable(message, operation="get_account_balance"))
    assert health_get(key) is not None
