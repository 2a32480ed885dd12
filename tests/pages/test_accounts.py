"""Account pages: the accounts list, an account with and without credentials, its balance and
notification fragments, its forms; each role, an outsider (404), and refusals in the layout."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from apps.requesters import services as requesters
from apps.requesters.roles import Action, role_allows
from tests.pages.conftest import ROLES, check_refusal

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def keyless(lab, emulator_server):
    """An account made by the create service without credentials (alice is its admin)."""
    return requesters.requester_create(
        actor=lab.user("admin"),
        data={
            "name": "Keyless lab",
            "environment": "local",
            "endpoint_url": emulator_server.url,
            "credential_source": "encrypted",
        },
        secrets={},
    )


def test_home(lab, checks):
    for role in ROLES:
        where = f"home as {role}"
        page = lab.get(role, reverse("home"), where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.page(where, page, role)
        checks.that(
            page.links_to("requesters-detail") and lab.account.name in page.text,
            where,
            "the account is listed with a link to its page",
        )
        checks.that(not page.links_to("requesters-create"), where, "only a site admin adds one")
        # The balance is read once (htmx) and then shown from the cache: the fragment the list
        # loads shows money, never "—" for an account that answers.
        fragments = [
            link for link in page.links if link.url_name == "requesters-balance" and link.htmx
        ]
        if fragments:
            fragment = lab.get(role, fragments[0].href, where=f"{where}, balance cell", htmx=True)
            checks.page(f"{where}, balance cell", fragment, role)
            checks.that(
                "$10,000.00" in fragment.text,
                f"{where}, balance cell",
                f"the cell shows the balance; it reads {fragment.text!r}",
            )
    page = lab.get("admin", reverse("home"), where="home, balance read once, as admin")
    checks.that("$10,000.00" in page.text, "home after a read", "the cached balance is shown")
    checks.done()


def test_account_detail(lab, checks):
    url = reverse("requesters-detail", args=[lab.account.pk])
    for role in ROLES:
        where = f"requesters-detail [with credentials] as {role}"
        page = lab.get(role, url, where=where)
        if not checks.that(page.status == 200, where, f"answers {page.status}"):
            continue
        checks.page(where, page, role)
        checks.that(lab.account.name in page.heading(), where, "the heading names the account")
        if role_allows(role, Action.MANAGE_ACCOUNT):
            checks.that(page.links_to("requesters-edit"), where, "an admin can edit the account")
        if role_allows(role, Action.MANAGE_MEMBERS):
            checks.that(page.posts_to("requesters-member-add"), where, "an admin adds members")
        for persona in ("alice", "bob", "carol", "victor"):
            checks.that(persona in page.text, where, f"the member {persona} is listed")
        where = f"requesters-balance [with credentials] as {role}"
        fragment = lab.get(
            role, reverse("requesters-balance", args=[lab.account.pk]), where=where, htmx=True
        )
        checks.that(fragment.status == 200, where, f"answers {fragment.status}")
        checks.page(where, fragment, role)
        checks.that("$10,000.00" in fragment.text, where, f"reads {fragment.text!r}")
        where = f"notifications-status [no queue] as {role}"
        fragment = lab.get(
            role, reverse("notifications-status", args=[lab.account.pk]), where=where, htmx=True
        )
        checks.that(fragment.status == 200, where, f"answers {fragment.status}")
        checks.page(where, fragment, role)
        checks.that(fragment.has_text("No SQS queue"), where, "says there is no queue")
        where = f"requesters-mturk-health [answering] as {role}"
        fragment = lab.get(role, reverse("requesters-mturk-health"), where=where, htmx=True)
        checks.that(fragment.status == 200, where, f"answers {fragment.status}")
        checks.page(where, fragment, role)
    for name in ("requesters-detail", "requesters-balance", "notifications-status"):
        where = f"{name} as outsider"
        page = lab.get("outsider", reverse(name, args=[lab.account.pk]), where=where, htmx=True)
        checks.that(page.status == 404, where, f"answers {page.status}, not 404")
    where = "requesters-detail as outsider"
    check_refusal(checks, where, lab.get("outsider", url, where=where), 404)
    checks.done()


def test_balance_with_and_without_credentials(lab, keyless, checks):
    url = reverse("requesters-detail", args=[keyless.pk])
    where = "requesters-detail [no credentials] as admin"
    page = lab.get("admin", url, where=where)
    checks.that(page.status == 200, where, f"answers {page.status}")
    checks.page(where, page, "admin")
    where = "requesters-balance [no credentials] as admin"
    fragment = lab.get(
        "admin", reverse("requesters-balance", args=[keyless.pk]), where=where, htmx=True
    )
    checks.that(fragment.status == 200, where, f"answers {fragment.status}")
    checks.page(where, fragment, "admin")
    checks.that("$" not in fragment.text, where, f"no balance is made up: {fragment.text!r}")
    checks.that(
        "credential" in fragment.text.casefold(),
        where,
        f"says the account has no credentials; it reads {fragment.text!r}",
    )
    where = "home [an account without credentials] as admin"
    page = lab.get("admin", reverse("home"), where=where)
    checks.page(where, page, "admin")
    for name in ("requesters-detail", "requesters-balance"):
        where = f"{name} [no credentials] as outsider"
        page = lab.get("outsider", reverse(name, args=[keyless.pk]), where=where)
        checks.that(page.status == 404, where, f"answers {page.status}, not 404")
    checks.done()


def test_account_forms(lab, checks):
    edit = reverse("requesters-edit", args=[lab.account.pk])
    for role in ROLES:
        where = f"requesters-edit as {role}"
        page = lab.get(role, edit, where=where)
        if role_allows(role, Action.MANAGE_ACCOUNT):
            checks.that(page.status == 200, where, f"answers {page.status}")
            checks.page(where, page, role)
            checks.that(page.posts_to("requesters-edit"), where, "the form saves the account")
            checks.that(
                "test-secret-access-key" not in page.html, where, "the secret is never sent back"
            )
        else:
            check_refusal(checks, where, page, 403)
        where = f"requesters-create as {role}"
        check_refusal(checks, where, lab.get(role, reverse("requesters-create"), where=where), 403)
    where = "requesters-edit as outsider"
    check_refusal(checks, where, lab.get("outsider", edit, where=where), 404)
    root = get_user_model().objects.create_superuser("root", "root@example.org", "x" * 20)
    lab.clients["site admin"] = lab.client("admin").__class__()
    lab.clients["site admin"].force_login(root, backend="django.contrib.auth.backends.ModelBackend")
    where = "requesters-create as site admin"
    page = lab.get("site admin", reverse("requesters-create"), where=where)
    checks.that(page.status == 200, where, f"answers {page.status}")
    checks.page(where, page, None)
    checks.that(page.posts_to("requesters-create"), where, "the form creates an account")
    where = "home as site admin"
    page = lab.get("site admin", reverse("home"), where=where)
    checks.that(page.links_to("requesters-create"), where, "a site admin can add an account")
    checks.done()
