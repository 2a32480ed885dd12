from __future__ import annotations

from decimal import Decimal

import pytest

from apps.audit.models import AuditEvent
from apps.requesters.models import Environment, Membership, Requester
from tests.factories import RequesterFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_person_sees_only_their_accounts(login, alice, charlie, account, other_account):
    page = login(alice).get("/").content.decode()
    assert account.name in page
    assert other_account.name not in page


def test_another_accounts_page_answers_404(login, charlie, account):
    client = login(charlie)
    for url in (
        f"/accounts/{account.pk}/",
        f"/accounts/{account.pk}/edit/",
        f"/accounts/{account.pk}/balance/",
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            f"/accounts/{account.pk}/members/add/", {"username": "charlie", "role": "admin"}
        ).status_code
        == 404
    )
    assert not Membership.objects.filter(user=charlie, requester=account).exists()


@pytest.mark.parametrize(
    ("persona", "status"), [("victor", 403), ("bob", 403), ("carol", 403), ("alice", 200)]
)
def test_only_an_admin_edits_the_account(request, login, account, persona, status):
    user = request.getfixturevalue(persona)
    assert login(user).get(f"/accounts/{account.pk}/edit/").status_code == status


@pytest.mark.parametrize(
    ("persona", "status"), [("victor", 403), ("bob", 403), ("carol", 403), ("alice", 302)]
)
def test_only_an_admin_adds_members(request, login, account, persona, status):
    user = request.getfixturevalue(persona)
    UserFactory(username="newcomer")
    response = login(user).post(
        f"/accounts/{account.pk}/members/add/", {"username": "newcomer", "role": "viewer"}
    )
    assert response.status_code == status
    assert Membership.objects.filter(user__username="newcomer", requester=account).exists() is (
        status == 302
    )


def test_an_admin_changes_a_role_and_it_is_audited(login, alice, bob, account):
    membership = Membership.objects.get(user=bob)
    response = login(alice).post(
        f"/accounts/{account.pk}/members/{membership.pk}/role/", {"role": "manager"}
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "manager"
    event = AuditEvent.objects.get(action="membership.role")
    assert event.actor == alice
    assert event.details == {"username": "bob", "from": "reviewer", "to": "manager"}


def test_the_member_form_answers_htmx_with_the_members_fragment(login, alice, account):
    UserFactory(username="dora")
    response = login(alice).post(
        f"/accounts/{account.pk}/members/add/",
        {"username": "dora", "role": "reviewer"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="members">')
    assert "dora" in body
    assert "<html" not in body


def test_the_last_admin_cannot_be_removed_or_demoted(login, alice, account):
    membership = Membership.objects.get(user=alice)
    client = login(alice)
    client.post(f"/accounts/{account.pk}/members/{membership.pk}/role/", {"role": "viewer"})
    client.post(f"/accounts/{account.pk}/members/{membership.pk}/remove/")
    membership.refresh_from_db()
    assert membership.role == "admin"


def test_a_superuser_adds_an_account_and_becomes_its_admin(client):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        "/accounts/new/",
        {
            "name": "Psych lab",
            "environment": "sandbox",
            "endpoint_url": "",
            "credential_source": "encrypted",
            "new_access_key_id": "AKIAEXAMPLEEXAMPLE01",
            "new_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "bonus_cap": "2.50",
            "daily_spend_limit": "300.00",
            "requests_per_second": "5",
        },
    )
    assert response.status_code == 302
    requester = Requester.objects.get(name="Psych lab")
    assert requester.effective_endpoint == "https://mturk-requester-sandbox.us-east-1.amazonaws.com"
    assert requester.bonus_cap == Decimal("2.50")
    assert Membership.objects.get(requester=requester).user == root
    event = AuditEvent.objects.get(action="requester.create")
    assert "wJalrXUtnFEMI" not in str(event.details)


def test_only_a_superuser_adds_accounts(login, alice):
    assert login(alice).get("/accounts/new/").status_code == 403


def test_editing_keeps_stored_keys_when_left_empty(login, alice, account):
    client = login(alice)
    response = client.post(
        f"/accounts/{account.pk}/edit/",
        {
            "name": "Renamed",
            "environment": "local",
            "endpoint_url": "http://127.0.0.1:8001",
            "credential_source": "encrypted",
            "bonus_cap": "5.00",
            "daily_spend_limit": "100.00",
            "requests_per_second": "5",
        },
    )
    assert response.status_code == 302
    updated = Requester.objects.get(pk=account.pk)
    assert updated.name == "Renamed"
    assert updated.secret_access_key == "test-secret-access-key"
    assert AuditEvent.objects.get(action="requester.update").details["name"] == [
        account.name,
        "Renamed",
    ]


def test_environment_credentials_need_variable_names(login, alice, account):
    response = login(alice).post(
        f"/accounts/{account.pk}/edit/",
        {
            "name": account.name,
            "environment": "sandbox",
            "credential_source": "environment",
            "bonus_cap": "5.00",
            "daily_spend_limit": "100.00",
            "requests_per_second": "5",
        },
    )
    assert response.status_code == 200
    assert "Name the environment variable." in response.content.decode()


def test_production_shows_a_red_badge_and_a_warning_on_every_page(login, alice, account):
    Requester.objects.filter(pk=account.pk).update(environment=Environment.PRODUCTION)
    client = login(alice)
    for url in ("/", "/audit/", f"/accounts/{account.pk}/"):
        page = client.get(url).content.decode()
        assert 'class="badge env-production"' in page
        assert "spend real money" in page


def test_the_switcher_changes_the_current_account(login, alice, account):
    second = RequesterFactory(name="Second")
    Membership.objects.create(user=alice, requester=second, role="viewer")
    client = login(alice)
    response = client.post("/accounts/switch/", {"requester": second.pk, "next": "/audit/"})
    assert response.status_code == 302
    assert response["Location"] == "/audit/"
    assert client.get("/audit/").context["current_requester"] == second


def test_the_switcher_refuses_foreign_accounts_and_external_redirects(
    login, alice, charlie, other_account, account
):
    client = login(alice)
    assert client.post("/accounts/switch/", {"requester": other_account.pk}).status_code == 404
    response = client.post(
        "/accounts/switch/", {"requester": account.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
