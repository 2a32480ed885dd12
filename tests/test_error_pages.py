"""Error pages in production (DEBUG off): 403 and 404 in the site's layout saying why, a 500
that renders whatever is broken, one log line per refused request, and /favicon.ico answering."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.urls import include, path

from apps.requesters.models import Requester
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _refuse_without_reason(request):
    raise PermissionDenied


def _boom(request):
    raise RuntimeError("something broke")


# The site's own URLs, and two views that only a test needs.
urlpatterns = [
    path("test/refuse/", _refuse_without_reason),
    path("test/boom/", _boom),
    path("", include("mturkdash.urls")),
]


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def _request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_refusal_says_the_role_the_account_and_whom_to_ask(login, victor, account):
    response = login(victor).get(f"/accounts/{account.pk}/edit/")
    assert response.status_code == 403
    page = response.content.decode()
    assert (
        "Your role on Lab account, viewer, may not change the account&#x27;s settings; "
        "ask an admin of the account." in page
    )
    # The site's layout: the navigation, the account switcher, sign out.
    assert 'class="mainnav"' in page and 'id="account-switcher"' in page and "Sign out" in page


def test_a_refusal_names_the_action_each_view_requires(login, victor, bob, account):
    page = login(victor).get("/qualifications/new/").content.decode()
    assert "Your role on Lab account, viewer, may not manage qualifications" in page
    response = login(bob).post(f"/accounts/{account.pk}/members/add/", {"username": "x"})
    assert response.status_code == 403
    assert "reviewer, may not change who is a member of the account" in response.content.decode()


def test_an_account_name_in_a_refusal_is_escaped(login, victor, account):
    Requester.objects.filter(pk=account.pk).update(name="<script>alert(1)</script>")
    page = login(victor).get(f"/accounts/{account.pk}/edit/").content.decode()
    assert "<script>alert(1)" not in page
    assert "Your role on &lt;script&gt;alert(1)&lt;/script&gt;, viewer" in page


@pytest.mark.urls(__name__)
def test_a_refusal_without_a_reason_says_so_in_a_clear_sentence(login, victor):
    response = login(victor).get("/test/refuse/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your role on this account does not allow this." in page
    assert 'class="mainnav"' in page


def test_another_accounts_page_is_a_404_in_the_layout(login, alice, other_account):
    response = login(alice).get(f"/accounts/{other_account.pk}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist or belongs to an account you are not a member of." in page
    assert other_account.name not in page
    assert 'class="mainnav"' in page and "Lab account" in page  # alice's own switcher


def test_a_missing_page_is_a_404_for_someone_with_no_account(login):
    response = login(UserFactory(username="newcomer")).get("/no-such-page/")
    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


def test_a_missing_page_is_a_404_for_an_anonymous_visitor(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page does not exist" in page
    assert "Sign out" not in page


def test_a_refused_request_is_one_log_line_without_a_traceback(login, victor, account, caplog):
    client = login(victor)
    with caplog.at_level(logging.INFO):
        client.get(f"/accounts/{account.pk}/edit/")
    (record,) = _request_records(caplog)
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and record.exc_text is None
    assert record.getMessage() == (
        f"Forbidden (Permission denied): /accounts/{account.pk}/edit/ (Your role on Lab "
        "account, viewer, may not change the account's settings; ask an admin of the account.)"
    )
    caplog.clear()
    with caplog.at_level(logging.INFO):
        client.get("/accounts/999999/")
    (record,) = _request_records(caplog)
    assert record.exc_info is None and record.exc_text is None
    assert record.getMessage() == "Not Found: /accounts/999999/"


def test_the_formatted_log_of_a_refusal_has_no_traceback(login, victor, account, caplog):
    with caplog.at_level(logging.INFO):
        login(victor).get(f"/accounts/{account.pk}/edit/")
    assert "Traceback" not in caplog.text
    assert caplog.text.count("Forbidden (Permission denied)") == 1


@pytest.mark.urls(__name__)
def test_a_server_error_renders_a_page_and_keeps_its_traceback_in_the_log(login, alice, caplog):
    client = login(alice)
    client.raise_request_exception = False
    with caplog.at_level(logging.INFO):
        response = client.get("/test/boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Server error" in page and "Something went wrong on our side" in page
    assert "something broke" not in page  # no detail of the error for the visitor
    (record,) = _request_records(caplog)
    assert record.levelno == logging.ERROR and record.exc_info is not None


@pytest.mark.urls(__name__)
def test_the_500_page_needs_no_database(login, alice, monkeypatch):
    client = login(alice)
    client.raise_request_exception = False

    def _no_database(*args, **kwargs):
        raise RuntimeError("the database is down")

    monkeypatch.setattr(connection, "cursor", _no_database)
    response = client.get("/test/boom/")
    assert response.status_code == 500
    assert "Server error" in response.content.decode()


def test_a_form_sent_without_its_token_says_why_in_the_layout(alice, account):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post("/accounts/switch/", {"requester": account.pk})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Form expired" in page and "without a valid security token" in page
    assert 'class="brand"' in page


def test_favicon_answers_without_a_session(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")


def test_a_request_for_another_host_gets_the_400_page(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Bad request" in page and "The request could not be read." in page
    assert 'class="brand"' in page
