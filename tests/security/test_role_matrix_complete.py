"""No view that accepts a POST escapes tests/test_role_matrix.py: the URL resolver is walked,
and every view decorated to take POST (or not restricted to GET at all) must be a row of the
matrix, or one of the few exemptions below, each of which is proved here to be harmless."""

from __future__ import annotations

import pytest
from django.apps import apps as django_apps

from apps.requesters.access import SESSION_KEY
from tests.security.urlwalk import dashboard_routes, post_routes, role_matrix_names

# URL name -> why the role matrix does not list it (each reason is tested below).
EXEMPT = {
    "requesters-switch": "changes only which of the person's own accounts their session shows",
    "requesters-create": "site administrators only (is_superuser), not a role in an account",
    "batches-project-check": "the project editor's live check: reads the posted template only",
    "qualifications-test-check": "the test editor's live check: keeps a preview in the session",
}


def test_the_walk_finds_the_mutating_views():
    names = set(post_routes())
    assert {"review-approve", "batches-launch", "requesters-edit", "workers-block"} <= names
    assert "review-queue" not in names and "audit-export" not in names
    assert len(dashboard_routes()) > len(names) > 30


def test_every_view_that_accepts_post_is_in_the_role_matrix():
    matrix = role_matrix_names()
    missing = sorted(set(post_routes()) - set(matrix) - set(EXEMPT))
    assert not missing, (
        "views that accept POST but are not rows of tests/test_role_matrix.py: "
        + ", ".join(missing)
    )


def test_every_exemption_names_a_view_that_still_exists():
    routes = post_routes()
    assert set(EXEMPT) <= set(routes), sorted(set(EXEMPT) - set(routes))
    assert not set(EXEMPT) & set(role_matrix_names())


def _everything() -> dict[str, int]:
    """Row counts of every dashboard model (the session table aside)."""
    return {
        model._meta.label: model.objects.count()
        for model in django_apps.get_models()
        if model._meta.app_label not in {"sessions", "admin", "axes"}
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/batches/projects/check/", {"template": "<p>${x}</p>", "question_kind": "html"}),
        ("/qualifications/test-check/", {"test": "<QuestionForm/>", "answer_key": ""}),
    ],
)
def test_the_live_checks_change_nothing(client, alice, bob, victor, charlie, url, data):
    for user in (alice, bob, victor, charlie):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        before = _everything()
        response = client.post(url, data)
        assert response.status_code in {200, 404}, (user.username, response.status_code)
        assert _everything() == before, f"{url} as {user.username} changed the database"


@pytest.mark.django_db
def test_only_a_site_administrator_creates_accounts(client, alice, charlie):
    data = {"name": "New lab", "environment": "local", "credential_source": "encrypted"}
    for user in (alice, charlie):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        before = _everything()
        assert client.post("/accounts/new/", data).status_code == 403
        assert _everything() == before
    alice.is_superuser = True
    alice.save(update_fields=["is_superuser"])
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post("/accounts/new/", data)
    assert response.status_code == 200  # the form asks for the keys: nothing half-made
    assert b"access key" in response.content.lower()


@pytest.mark.django_db
def test_switching_to_an_account_one_is_not_in_is_refused(client, account, charlie):
    client.force_login(charlie, backend="django.contrib.auth.backends.ModelBackend")
    client.get("/")
    before = client.session.get(SESSION_KEY)
    assert client.post("/accounts/switch/", {"requester": account.pk}).status_code == 404
    assert client.session.get(SESSION_KEY) == before != account.pk
