"""Every POST, htmx or not, needs the CSRF token: without it 403 and nothing changes; with the
token the page gave (form field or the X-CSRFToken header that base.html hands htmx) it goes
through. Production cookies: secure, and the session one out of JavaScript's reach."""

from __future__ import annotations

import re

import pytest
from django.apps import apps as django_apps
from django.test import Client

from tests.security.urlwalk import post_routes
from tests.test_role_matrix import _fresh
from tests.test_settings import PRODUCTION, run

pytestmark = pytest.mark.django_db

POST_NAMES = sorted(post_routes())


def _everything() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in django_apps.get_models()
        if model._meta.app_label not in {"sessions", "admin", "axes"}
    }


def _tokens(client: Client) -> tuple[str, str]:
    """The token of a form field and the one of `hx-headers` on <body>, from the home page."""
    html = client.get("/").content.decode()
    field = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    header = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", html)
    assert field and header, "the page gives no CSRF token to forms and htmx"
    return field.group(1), header.group(1)


def _is_csrf_refusal(response) -> bool:
    return response.status_code == 403 and b"CSRF" in response.content


def test_every_post_needs_the_token(targets, alice):
    """One pass over every POST view (one test, so the account's objects are made once)."""
    alice.is_superuser = True  # the account creation page is for site administrators
    alice.save(update_fields=["is_superuser"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    field, header = _tokens(client)
    client.post(
        "/accounts/switch/",
        {"requester": targets["objects"]["account"].pk, "csrfmiddlewaretoken": field},
    )
    assert set(targets["urls"]) == set(POST_NAMES)
    problems = []
    for name in POST_NAMES:
        url, data = targets["urls"][name]
        before = _everything()
        refused = [
            client.post(url, _fresh(data)),
            client.post(url, _fresh(data), HTTP_HX_REQUEST="true"),
            client.post(url, _fresh(data), HTTP_X_CSRFTOKEN="x" * 64, HTTP_HX_REQUEST="true"),
        ]
        if not all(_is_csrf_refusal(r) for r in refused):
            problems.append(f"{name}: {[r.status_code for r in refused]} without a valid token")
        if _everything() != before:
            problems.append(f"{name} changed something without a token")
        passed = [
            client.post(url, _fresh(data), HTTP_X_CSRFTOKEN=header, HTTP_HX_REQUEST="true"),
            client.post(url, {**_fresh(data), "csrfmiddlewaretoken": field}),
        ]
        if any(_is_csrf_refusal(r) or r.status_code >= 500 for r in passed):
            problems.append(f"{name}: {[r.status_code for r in passed]} with the page's token")
    assert not problems, "\n".join(problems)


def test_sign_in_and_out_need_the_token(alice):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "alice", "password": "x"})
    assert _is_csrf_refusal(response)
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    assert _is_csrf_refusal(client.post("/logout/"))
    assert client.get("/").status_code == 200  # still signed in


def test_production_cookies_are_secure_and_the_session_one_http_only():
    result = run(
        "import django; django.setup(); from django.conf import settings as s;"
        " print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_SECURE,"
        " s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE, s.CSRF_USE_SESSIONS or"
        " not s.CSRF_COOKIE_HTTPONLY)",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    # The CSRF cookie stays readable only because pages hand the token to htmx themselves.
    assert result.stdout.split() == ["True", "True", "True", "Lax", "Lax", "True"]


def test_the_session_cookie_is_set_secure_and_http_only(client, alice):
    """Not just the setting: the Set-Cookie header a sign-in answers with (DEBUG is off here)."""
    response = client.post(
        "/login/", {"username": "alice", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert response.cookies["csrftoken"]["secure"]


def test_no_page_changes_anything_on_a_get(targets, alice):
    """CSRF protection covers POST only: every page reached by GET (as a page, as an htmx
    fragment, with the refresh switches some pages have) creates and deletes nothing."""
    from tests.security.urlwalk import dashboard_routes

    client = Client()
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    client.post("/accounts/switch/", {"requester": targets["objects"]["account"].pk})
    before = _everything()
    changed = []
    for route in dashboard_routes():
        if route.methods is not None and "GET" not in route.methods:
            continue
        url = targets["url_of"](route.route, route.name) + "?refresh=1&format=csv"
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            client.get(url, **headers)
        now = _everything()
        if now != before:
            changed.append(f"{route.name}: " + ", ".join(k for k in now if now[k] != before.get(k)))
            before = now
    assert not changed, "\n".join(changed)
