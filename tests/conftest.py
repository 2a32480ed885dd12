"""Shared fixtures: personas (alice admin, bob reviewer, carol manager, victor viewer, charlie
outsider), accounts pointing at the test's local MTurk, and a logged-in client per persona."""

from __future__ import annotations

import pytest
from django.conf import settings

from tests.factories import MembershipFactory, RequesterFactory, UserFactory

pytest_plugins = [
    "tests.fixtures.emulator",
    "tests.fixtures.browser",
    "tests.fixtures.celery",
    "tests.fixtures.sqs",
]


# Personas are made in almost every test; the production hasher's deliberate slowness is not
# what the tests are about. (Sign-in and lockout tests still go through real hashing code.)
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def account(db):
    """An account on a fresh customer of the local MTurk (no process needed until it is called)."""
    return RequesterFactory(name="Lab account")


@pytest.fixture
def other_account(db):
    return RequesterFactory(name="Other lab")


def _member(account, username: str, role: str):
    user = UserFactory(username=username)
    MembershipFactory(user=user, requester=account, role=role)
    return user


@pytest.fixture
def alice(account):
    return _member(account, "alice", "admin")


@pytest.fixture
def carol(account):
    return _member(account, "carol", "manager")


@pytest.fixture
def bob(account):
    return _member(account, "bob", "reviewer")


@pytest.fixture
def victor(account):
    return _member(account, "victor", "viewer")


@pytest.fixture
def charlie(other_account):
    """An outsider: admin of another account only."""
    return _member(other_account, "charlie", "admin")


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture
def local_account(account, emulator_server):
    """The account, pointed at this test run's local MTurk process."""
    account.endpoint_url = emulator_server.url
    account.save(update_fields=["endpoint_url"])
    return account


@pytest.fixture
def account_mturk(local_account, emulator_server):
    """A plain boto3 client acting as the same requester as `local_account`, outside the dashboard."""
    from tests.fixtures.emulator import make_mturk_client

    return make_mturk_client(emulator_server.url, access_key_id=local_account.access_key_id)
