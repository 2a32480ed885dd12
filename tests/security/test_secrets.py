"""An account's AWS secret key never shows: not on a page, not in a log record at DEBUG, not in
the error report mailed to the admins, not in a database dump or the credentials columns."""

from __future__ import annotations

import io
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client

from apps.requesters import crypto
from apps.requesters.models import Requester

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCESS_KEY = "AKIASECURITYSUITE001"

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(alice):
    alice.is_superuser = True
    alice.is_staff = True
    alice.save(update_fields=["is_superuser", "is_staff"])
    client = Client(raise_request_exception=False)
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def secret_account(admin_client, emulator_server):
    response = admin_client.post(
        "/accounts/new/",
        {
            "name": "Secret lab",
            "environment": "local",
            "endpoint_url": emulator_server.url,
            "credential_source": "encrypted",
            "new_access_key_id": ACCESS_KEY,
            "new_secret_access_key": SECRET,
            "bonus_cap": "5.00",
            "daily_spend_limit": "100.00",
            "requests_per_second": "50",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    account = Requester.objects.get(name="Secret lab")
    assert account.secret_access_key == SECRET
    return account


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def test_pages_never_show_the_secret(admin_client, secret_account, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("botocore", "urllib3", "django", "apps"):
        caplog.set_level(logging.DEBUG, logger=name)
    pk = secret_account.pk
    pages = [
        "/",
        f"/accounts/{pk}/",
        f"/accounts/{pk}/edit/",
        f"/accounts/{pk}/balance/?refresh=1",
        f"/accounts/{pk}/notifications/",
        "/audit/",
        "/audit/export.csv",
        f"/admin/requesters/requester/{pk}/change/",
        "/admin/requesters/requester/",
    ]
    for url in pages:
        response = admin_client.get(url, HTTP_HX_REQUEST="true" if "balance" in url else "")
        assert response.status_code in {200, 302}, url
        assert SECRET not in _body(response), url
    # A form sent back with an error does not echo the secret typed into it.
    response = admin_client.post(
        f"/accounts/{pk}/edit/",
        {"name": "", "new_access_key_id": ACCESS_KEY, "new_secret_access_key": SECRET},
    )
    assert response.status_code == 200 and "errorlist" in _body(response)
    assert SECRET not in _body(response)
    # MTurk answered the balance call (the local MTurk, over HTTP, signed with the secret).
    assert Requester.objects.get(pk=pk).last_balance is not None
    assert any(r.name.startswith("botocore") for r in caplog.records)
    _assert_not_logged(caplog)


def test_mturk_errors_never_show_the_secret(admin_client, secret_account, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("botocore", "urllib3", "apps"):
        caplog.set_level(logging.DEBUG, logger=name)
    Requester.objects.filter(pk=secret_account.pk).update(endpoint_url="http://127.0.0.1:9")
    for url in (
        f"/accounts/{secret_account.pk}/balance/?refresh=1",
        f"/accounts/{secret_account.pk}/",
    ):
        response = admin_client.get(url, HTTP_HX_REQUEST="true", follow=True)
        assert response.status_code == 200
        assert SECRET not in _body(response)
    admin_client.post("/accounts/switch/", {"requester": secret_account.pk})
    response = admin_client.post("/sync/now/", follow=True)
    assert response.status_code == 200 and SECRET not in _body(response)
    _assert_not_logged(caplog)


def test_the_error_report_mailed_to_the_admins_hides_the_secret(
    admin_client, secret_account, settings, caplog
):
    """A broken CREDENTIALS_KEYS makes saving new keys fail: the 500's report, with its
    POST data and the frames' variables, is mailed to ADMINS without the secret."""
    settings.ADMINS = [("Ops", "ops@example.org")]
    settings.CREDENTIALS_KEYS = ["not a fernet key"]
    crypto._fernet.cache_clear()
    try:
        response = admin_client.post(
            f"/accounts/{secret_account.pk}/edit/",
            {
                "name": "Secret lab",
                "environment": "local",
                "endpoint_url": "http://127.0.0.1:9",
                "credential_source": "encrypted",
                "new_access_key_id": ACCESS_KEY,
                "new_secret_access_key": SECRET + "NEW",
                "bonus_cap": "5.00",
                "daily_spend_limit": "100.00",
                "requests_per_second": "50",
            },
        )
    finally:
        settings.CREDENTIALS_KEYS = []
        crypto._fernet.cache_clear()
    assert response.status_code == 500
    assert SECRET not in _body(response)
    assert len(mail.outbox) == 1
    report = mail.outbox[0]
    text = report.body + "".join(str(a[1]) for a in report.alternatives)
    assert "ImproperlyConfigured" in text and "new_secret_access_key" in text
    assert SECRET not in text
    _assert_not_logged(caplog)


def test_the_database_holds_only_ciphertext(secret_account):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_key_id, secret_access_key FROM requesters_requester WHERE id = %s",
            [secret_account.pk],
        )
        access_key, secret = cursor.fetchone()
    assert SECRET not in secret and ACCESS_KEY not in access_key
    assert crypto.decrypt(secret) == SECRET

    out = io.StringIO()
    call_command("dumpdata", "requesters", stdout=out)
    dump = out.getvalue()
    assert SECRET not in dump and '"name": "Secret lab"' in dump


def test_a_dump_loads_back_with_the_same_keys(secret_account, tmp_path):
    """The dump carries ciphertext, and loading it gives back the working keys (not a key
    encrypted twice)."""
    path = tmp_path / "requesters.json"
    call_command("dumpdata", "requesters.requester", output=str(path))
    Requester.objects.filter(pk=secret_account.pk).update(secret_access_key="")
    call_command("loaddata", str(path), verbosity=0)
    assert Requester.objects.get(pk=secret_account.pk).secret_access_key == SECRET


def _assert_not_logged(caplog) -> None:
    for record in caplog.records:
        text = record.getMessage() + str(record.__dict__.get("exc_text") or "")
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        assert SECRET not in text, f"{record.name}: {text[:200]}"


@pytest.fixture(scope="module")
def strict_mturk(tmp_path_factory):
    """A local MTurk that checks signatures: it knows the access key with another secret."""
    from tests.fixtures.emulator import start_emulator

    server = start_emulator(
        tmp_path_factory.mktemp("strict-secrets"),
        env={"EMULATOR_CREDENTIALS": f"{ACCESS_KEY}:the-secret-mturk-knows"},
    )
    yield server
    server.stop()


def test_a_refused_signature_never_shows_the_secret(
    admin_client, secret_account, strict_mturk, caplog
):
    caplog.set_level(logging.DEBUG)
    for name in ("botocore", "urllib3", "apps"):
        caplog.set_level(logging.DEBUG, logger=name)
    Requester.objects.filter(pk=secret_account.pk).update(endpoint_url=strict_mturk.url)
    response = admin_client.get(
        f"/accounts/{secret_account.pk}/balance/?refresh=1", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = _body(response)
    assert "signature" in body.lower()  # MTurk's refusal is shown
    assert SECRET not in body
    _assert_not_logged(caplog)
