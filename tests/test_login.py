"""Sign-in, sign-out, and lockout after repeated failures."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_it_signs_in_and_lands_on_the_accounts_page(client, alice, account):
    response = client.post("/login/", {"username": "alice", "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    assert response.context["user"].username == "alice"
    assert account.name in response.content.decode()


def test_a_wrong_password_is_refused(client, alice):
    response = client.post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert "did not match" in response.content.decode()


def test_repeated_failures_lock_the_account_out_even_for_the_right_password(client, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "alice", "password": "wrong"})
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_a_lockout_is_per_username_so_others_still_sign_in(client, alice, bob):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "alice", "password": "wrong"})
    response = client.post("/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302


def test_sign_out_is_a_post_and_ends_the_session(login, alice):
    client = login(alice)
    assert client.get("/").status_code == 200
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_spraying_many_usernames_from_one_address_locks_the_address_out(client, alice):
    """One try per username stays under the per-username limit; the address's own limit
    stops the spray, for every username, the right password included."""
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        client.post("/login/", {"username": f"sprayed{n}", "password": "Summer2026!"})
    last = client.post("/login/", {"username": "sprayed-last", "password": "Summer2026!"})
    assert last.status_code == 429
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_the_address_limit_spares_other_addresses_and_a_few_failures(client, alice, bob):
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        client.post("/login/", {"username": f"sprayed{n}", "password": "x"}, REMOTE_ADDR="10.9.9.9")
    elsewhere = client.post("/login/", {"username": "bob", "password": PASSWORD})
    assert elsewhere.status_code == 302
    same_address = client.post(
        "/login/", {"username": "alice", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert same_address.status_code == 302
