"""In a real browser: htmx POSTs carry the CSRF token base.html gives them (the live server
checks it like production), a POST without it is refused, and no page breaks its own CSP."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def test_an_htmx_post_carries_the_token_and_a_bare_post_is_refused(page, carol, account):
    _sign_in(page, "carol")
    page.goto(f"/accounts/{account.pk}/")
    page.goto("/batches/projects/new/")
    posts = []
    page.on(
        "request",
        lambda request: (
            request.method == "POST"
            and "/batches/projects/check/" in request.url
            and posts.append(request.headers)
        ),
    )
    with page.expect_response("**/batches/projects/check/") as answer:
        page.fill("#id_template", "<p>${hostile_column}</p>")
        page.dispatch_event("#id_template", "change")
    assert answer.value.status == 200
    page.wait_for_selector("#check >> text=hostile_column")
    assert posts and posts[-1].get("hx-request") == "true"
    assert len(posts[-1].get("x-csrftoken", "")) >= 32
    assert page.console_errors == []

    status = page.evaluate(
        """() => fetch('/batches/projects/check/', {method: 'POST',
             headers: {'Content-Type': 'application/x-www-form-urlencoded'},
             body: 'template=x'}).then(r => r.status)"""
    )
    assert status == 403


def test_pages_raise_no_content_security_policy_violation(page, alice, account):
    _sign_in(page, "alice")
    violations = []
    page.on(
        "console", lambda msg: "Content Security Policy" in msg.text and violations.append(msg.text)
    )
    for url in (
        f"/accounts/{account.pk}/",
        f"/accounts/{account.pk}/edit/",
        "/batches/projects/new/",
        "/review/",
        "/workers/",
        "/qualifications/new/",
        "/hits/",
        "/audit/",
    ):
        page.goto(url)
        page.wait_for_load_state("load")
    assert violations == []
    assert page.console_errors == []
