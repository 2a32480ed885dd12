"""An account admin types the account's endpoint and SQS queue URL; every call the server makes
there carries the account's signature. They must not make the server call any host it can
reach: cloud metadata, Redis, an internal service. MTurk's and SQS's own hosts only (the local
ones for local accounts), plus what the operator lists; checked on save and again before any
connection, so a row changed in the database gets no further.

These tests run with the operator lists at their default (empty): pyproject's test settings
allow the test run's own local MTurk and SQS ports, which is what an operator does."""

from __future__ import annotations

import time

import pytest

from apps.mturk.constants import PRODUCTION_ENDPOINT, SANDBOX_ENDPOINT
from apps.mturk.endpoints import EndpointRefused
from apps.mturk.errors import MTurkError
from apps.notifications.services import notifications_poll
from apps.requesters import services, tasks
from apps.requesters.models import Requester
from tests.factories import UserFactory
from tests.security.listener import listener as listener  # the fixture

pytestmark = pytest.mark.django_db

INTERNAL = ["http://169.254.169.254/", "http://127.0.0.1:6379"]


@pytest.fixture
def default_lists(settings):
    settings.MTURK_ENDPOINTS_ALLOWED = []
    settings.SQS_ENDPOINTS_ALLOWED = []
    settings.MTURK_MAX_ATTEMPTS = 1


def _form(account, **fields) -> dict:
    data = {
        "name": account.name,
        "environment": "production",
        "endpoint_url": "",
        "sqs_queue_url": "",
        "credential_source": "encrypted",
        "bonus_cap": "5.00",
        "daily_spend_limit": "100.00",
        "requests_per_second": "5",
    }
    data.update(fields)
    return data


def _assert_untouched(listener) -> None:
    time.sleep(0.2)  # a connection already in the backlog would be accepted by now
    assert listener.connections == 0, bytes(listener.received[0][:200])


@pytest.mark.parametrize("endpoint", INTERNAL)
def test_it_refuses_to_save_an_internal_endpoint_for_a_production_account(
    login, alice, account, default_lists, endpoint
):
    response = login(alice).post(
        f"/accounts/{account.pk}/edit/", _form(account, endpoint_url=endpoint)
    )
    assert response.status_code == 200
    assert "calls only MTurk&#x27;s own production endpoint" in response.content.decode()
    stored = Requester.objects.get(pk=account.pk)
    assert (stored.environment, stored.endpoint_url) == ("local", account.endpoint_url)


@pytest.mark.parametrize("queue", [u.rstrip("/") + "/123456789012/q" for u in INTERNAL])
def test_it_refuses_to_save_an_internal_sqs_queue_for_a_production_account(
    login, alice, account, default_lists, queue
):
    response = login(alice).post(
        f"/accounts/{account.pk}/edit/", _form(account, sqs_queue_url=queue)
    )
    assert response.status_code == 200
    assert "reads only queues of AWS&#x27;s SQS" in response.content.decode()
    assert Requester.objects.get(pk=account.pk).sqs_queue_url == ""


def test_a_sandbox_account_cannot_point_at_production_nor_use_plain_http(
    login, alice, account, default_lists
):
    client = login(alice)
    for endpoint in (PRODUCTION_ENDPOINT, SANDBOX_ENDPOINT.replace("https", "http")):
        data = _form(account, environment="sandbox", endpoint_url=endpoint)
        response = client.post(f"/accounts/{account.pk}/edit/", data)
        assert "calls only MTurk&#x27;s own sandbox endpoint" in response.content.decode()
    assert Requester.objects.get(pk=account.pk).environment == "local"


def test_mturks_and_sqss_own_hosts_are_accepted(login, alice, account, default_lists):
    data = _form(
        account,
        endpoint_url=PRODUCTION_ENDPOINT,
        sqs_queue_url="https://sqs.eu-west-1.amazonaws.com/123456789012/mturk-notifications",
    )
    response = login(alice).post(f"/accounts/{account.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[-1500:]
    assert Requester.objects.get(pk=account.pk).endpoint_url == PRODUCTION_ENDPOINT


def test_a_local_account_calls_only_the_local_mturk_and_sqs_or_what_the_operator_lists(
    login, alice, account, default_lists, settings
):
    client = login(alice)
    data = _form(account, environment="local", endpoint_url="http://127.0.0.1:6379")
    response = client.post(f"/accounts/{account.pk}/edit/", data)
    assert "A local account calls only the local MTurk" in response.content.decode()
    data = _form(account, environment="local", endpoint_url=settings.MTURK_LOCAL_ENDPOINT)
    data["sqs_queue_url"] = "http://127.0.0.1:8002/123456789012/mturk-local"
    assert client.post(f"/accounts/{account.pk}/edit/", data).status_code == 302
    settings.MTURK_ENDPOINTS_ALLOWED = ["http://10.1.2.3:*"]
    data["endpoint_url"] = "http://10.1.2.3:8001"
    assert client.post(f"/accounts/{account.pk}/edit/", data).status_code == 302
    assert Requester.objects.get(pk=account.pk).endpoint_url == "http://10.1.2.3:8001"


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://mturk-requester.us-east-1.amazonaws.com@169.254.169.254/",
        "https://169.254.169.254#@mturk-requester.us-east-1.amazonaws.com",
        "https://mturk-requester.us-east-1.amazonaws.com.evil.example/",
        "https://mturk-requester.us-east-1.amazonaws.com:6379/",
    ],
)
def test_look_alike_urls_are_refused(login, alice, account, default_lists, endpoint):
    response = login(alice).post(
        f"/accounts/{account.pk}/edit/", _form(account, endpoint_url=endpoint)
    )
    assert response.status_code == 200
    assert Requester.objects.get(pk=account.pk).endpoint_url == account.endpoint_url


def test_a_row_forced_to_an_internal_endpoint_makes_no_connection(
    login, alice, account, default_lists, listener
):
    """Edited in the database or the admin, behind the form: the balance page and the beat's
    balance refresh refuse before connecting."""
    Requester.objects.filter(pk=account.pk).update(
        environment="production", endpoint_url=listener.url
    )
    page = login(alice).get(f"/accounts/{account.pk}/balance/?refresh=1", HTTP_HX_REQUEST="true")
    assert page.status_code == 200
    assert "calls only MTurk&#x27;s own production endpoint" in page.content.decode()
    tasks.requesters_refresh_balances()
    requester = Requester.objects.get(pk=account.pk)
    with pytest.raises(EndpointRefused):
        services.requester_gateway(requester)
    _assert_untouched(listener)
    assert requester.last_balance is None


def test_a_local_account_forced_to_an_unlisted_port_makes_no_connection(
    account, default_lists, listener
):
    Requester.objects.filter(pk=account.pk).update(endpoint_url=listener.url)
    with pytest.raises(EndpointRefused, match="A local account calls only the local MTurk"):
        services.requester_balance(requester=Requester.objects.get(pk=account.pk), refresh=True)
    _assert_untouched(listener)


def test_the_listener_sees_a_call_the_operator_allowed(account, settings, listener):
    """The control: the same call to a listed host does connect, carrying the key id in clear
    (what an unlisted host would collect)."""
    settings.MTURK_ENDPOINTS_ALLOWED = [listener.url]
    settings.MTURK_MAX_ATTEMPTS = 1
    Requester.objects.filter(pk=account.pk).update(endpoint_url=listener.url)
    requester = Requester.objects.get(pk=account.pk)
    with pytest.raises(MTurkError):  # the listener answers 500
        services.requester_balance(requester=requester, refresh=True)
    assert listener.connections >= 1
    assert requester.access_key_id.encode() in bytes(listener.received[0])


def test_a_queue_forced_to_an_internal_address_is_never_read(account, default_lists, listener):
    Requester.objects.filter(pk=account.pk).update(
        environment="production", sqs_queue_url=f"{listener.url}/123456789012/q"
    )
    with pytest.raises(EndpointRefused, match="reads only queues of AWS's SQS"):
        notifications_poll(requester=Requester.objects.get(pk=account.pk), wait_seconds=0)
    _assert_untouched(listener)


def test_the_django_admin_refuses_an_internal_endpoint_too(client, account, default_lists):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root, backend="django.contrib.auth.backends.ModelBackend")
    url = f"/admin/requesters/requester/{account.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "name": account.name,
        "environment": "production",
        "endpoint_url": "http://169.254.169.254/",
        "credential_source": "encrypted",
        "access_key_env": "",
        "secret_key_env": "",
        "aws_profile": "",
        "sqs_queue_url": "",
        "bonus_cap": "5.00",
        "daily_spend_limit": "100.00",
        "requests_per_second": "5",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "calls only MTurk&#x27;s own production endpoint" in response.content.decode()
    assert Requester.objects.get(pk=account.pk).endpoint_url == account.endpoint_url
