"""With "Environment variables" credentials the account names two variables of the server's
environment, whose values are then signed with: the access key id travels in clear in the
Authorization header. An account admin naming SECRET_KEY, DATABASE_URL or another account's
variables would read them (or spend another account's money). Only site administrators name
variables and AWS profiles, or an account admin names the operator allowed; the server's own
secrets are never credentials, checked again before any call."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import Permission

from apps.audit.models import AuditEvent
from apps.requesters import services, tasks
from apps.requesters.models import CredentialSource, Requester
from tests.factories import MembershipFactory, UserFactory
from tests.security.listener import listener as listener  # the fixture

pytestmark = pytest.mark.django_db


def _env_form(account, access: str, secret: str, **fields) -> dict:
    data = {
        "name": account.name,
        "environment": "local",
        "endpoint_url": account.endpoint_url,
        "credential_source": "environment",
        "access_key_env": access,
        "secret_key_env": secret,
        "bonus_cap": "5.00",
        "daily_spend_limit": "100.00",
        "requests_per_second": "5",
    }
    data.update(fields)
    return data


@pytest.fixture
def root(client, account):
    """A site administrator, admin of the account too."""
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    MembershipFactory(user=user, requester=account, role="admin")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _assert_unchanged(account) -> None:
    stored = Requester.objects.get(pk=account.pk)
    assert stored.credential_source == CredentialSource.ENCRYPTED
    assert (stored.access_key_env, stored.secret_key_env, stored.aws_profile) == ("", "", "")
    assert not AuditEvent.objects.filter(action="requester.update").exists()


def test_an_account_admin_naming_secret_key_is_refused_and_nothing_is_saved(
    login, alice, account, listener
):
    """alice points her account at a host she watches and names the server's SECRET_KEY as
    the access key id: the key would arrive in the Authorization header."""
    data = _env_form(account, "SECRET_KEY", "DATABASE_URL", endpoint_url=listener.url)
    response = login(alice).post(f"/accounts/{account.pk}/edit/", data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["access_key_env"] and errors["secret_key_env"]
    _assert_unchanged(account)
    time.sleep(0.2)
    assert listener.connections == 0


def test_an_account_admin_cannot_name_another_accounts_variables(
    login, alice, account, other_account, monkeypatch
):
    monkeypatch.setenv("OTHER_LAB_KEY", "AKIAOTHERLABOTHERLAB")
    monkeypatch.setenv("OTHER_LAB_SECRET", "other-lab-secret")
    data = _env_form(account, "OTHER_LAB_KEY", "OTHER_LAB_SECRET")
    response = login(alice).post(f"/accounts/{account.pk}/edit/", data)
    assert "Only a site administrator may name environment variables" in response.content.decode()
    _assert_unchanged(account)


def test_an_account_admin_cannot_name_an_aws_profile(login, alice, account):
    data = _env_form(account, "", "", credential_source="profile", aws_profile="production")
    response = login(alice).post(f"/accounts/{account.pk}/edit/", data)
    assert "Only a site administrator may name AWS profiles" in response.content.decode()
    _assert_unchanged(account)


def test_a_superuser_may_name_environment_variables(root, account, monkeypatch):
    response = root.post(
        f"/accounts/{account.pk}/edit/", _env_form(account, "LAB_MTURK_KEY", "LAB_MTURK_SECRET")
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    stored = Requester.objects.get(pk=account.pk)
    assert (stored.access_key_env, stored.secret_key_env) == ("LAB_MTURK_KEY", "LAB_MTURK_SECRET")
    monkeypatch.setenv("LAB_MTURK_KEY", "AKIAFROMENVIRONMENT1")
    monkeypatch.setenv("LAB_MTURK_SECRET", "from-the-environment")
    assert services.requester_account_config(stored).access_key_id == "AKIAFROMENVIRONMENT1"


def test_names_a_superuser_chose_stay_when_an_account_admin_edits_the_account(
    root, login, alice, account
):
    root.post(
        f"/accounts/{account.pk}/edit/", _env_form(account, "LAB_MTURK_KEY", "LAB_MTURK_SECRET")
    )
    data = _env_form(account, "LAB_MTURK_KEY", "LAB_MTURK_SECRET", name="Renamed lab")
    response = login(alice).post(f"/accounts/{account.pk}/edit/", data)
    assert response.status_code == 302
    assert Requester.objects.get(pk=account.pk).name == "Renamed lab"


@pytest.mark.parametrize("name", ["SECRET_KEY", "CREDENTIALS_KEYS", "DATABASE_URL", "REDIS_URL"])
def test_not_even_a_superuser_makes_the_servers_own_secrets_credentials(root, account, name):
    response = root.post(f"/accounts/{account.pk}/edit/", _env_form(account, name, "LAB_SECRET"))
    assert response.status_code == 200
    assert "the server&#x27;s own configuration" in response.content.decode()
    _assert_unchanged(account)


def test_the_operator_may_let_account_admins_name_some_variables(login, alice, account, settings):
    settings.CREDENTIALS_ENV_ALLOWED = ["MTURK_LAB_*"]
    client = login(alice)
    refused = client.post(f"/accounts/{account.pk}/edit/", _env_form(account, "AWS_KEY", "X"))
    assert "CREDENTIALS_ENV_ALLOWED" in refused.content.decode()
    data = _env_form(account, "MTURK_LAB_KEY", "MTURK_LAB_SECRET")
    assert client.post(f"/accounts/{account.pk}/edit/", data).status_code == 302
    settings.CREDENTIALS_ENV_ALLOWED = ["*"]
    data = _env_form(account, "SECRET_KEY", "MTURK_LAB_SECRET")
    assert client.post(f"/accounts/{account.pk}/edit/", data).status_code == 200
    assert Requester.objects.get(pk=account.pk).access_key_env == "MTURK_LAB_KEY"


def test_a_row_forced_to_name_secret_key_makes_no_call(login, alice, account, settings, listener):
    """Edited behind the form (database, a script): the balance page and the beat's refresh
    refuse to read the variable, even towards a host the operator allowed."""
    settings.MTURK_ENDPOINTS_ALLOWED = [listener.url]
    settings.MTURK_MAX_ATTEMPTS = 1
    Requester.objects.filter(pk=account.pk).update(
        endpoint_url=listener.url,
        credential_source=CredentialSource.ENVIRONMENT,
        access_key_env="SECRET_KEY",
        secret_key_env="SECRET_KEY",
    )
    page = login(alice).get(f"/accounts/{account.pk}/balance/?refresh=1", HTTP_HX_REQUEST="true")
    assert "the server&#x27;s own configuration" in page.content.decode()
    tasks.requesters_refresh_balances()
    with pytest.raises(services.CredentialsRefused):
        services.requester_gateway(Requester.objects.get(pk=account.pk))
    time.sleep(0.2)
    assert listener.connections == 0


def test_the_django_admin_keeps_the_names_for_site_administrators(client, account):
    staff = UserFactory(username="staffer", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["change_requester", "view_requester"])
    )
    client.force_login(staff, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/admin/requesters/requester/{account.pk}/change/").content.decode()
    assert 'name="name"' in page
    assert 'name="access_key_env"' not in page and 'name="aws_profile"' not in page
