"""Every named URL of the dashboard is a page this suite reads in its states, or is listed in
`NOT_A_PAGE` with the reason. A URL added without either fails here, so no page goes untested
again the way every worker page said BLOCKED while a thousand tests passed."""

from __future__ import annotations

import importlib
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.pages.specs import NOT_A_PAGE, PAGES

# Not dashboard pages: Django's own admin, the sign-in and sign-out views, static files.
SKIPPED_NAMESPACES = {"admin"}
SKIPPED_NAMES = {"login", "logout"}


def _walk(resolver: URLResolver, prefix: str = "", namespace: str | None = None):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, prefix + str(pattern.pattern), pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield namespace, pattern.name, prefix + str(pattern.pattern)


def dashboard_urls() -> dict[str, str]:
    """URL name -> route, for every named URL a person of the dashboard can reach."""
    found = {}
    for namespace, name, route in _walk(get_resolver()):
        if namespace in SKIPPED_NAMESPACES or name in SKIPPED_NAMES:
            continue
        if route.startswith("static/") or "serve" in route:
            continue
        assert name, f"the URL {route!r} has no name: name it so it can be tested"
        found[name] = route
    return found


def test_every_url_is_a_page_of_the_suite_or_says_why_not():
    urls = dashboard_urls()
    missing = sorted(set(urls) - set(PAGES) - set(NOT_A_PAGE))
    assert not missing, (
        "These URLs have no page spec in tests/pages/specs.py (PAGES) and no reason in "
        "NOT_A_PAGE:\n" + "\n".join(f"- {name}: /{urls[name]}" for name in missing)
    )


def test_no_url_is_both_a_page_and_not_a_page():
    assert not set(PAGES) & set(NOT_A_PAGE)


def test_the_specs_name_only_urls_that_exist():
    urls = dashboard_urls()
    stale = sorted((set(PAGES) | set(NOT_A_PAGE)) - set(urls))
    assert not stale, f"specs for URLs that no longer exist: {stale}"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_page_spec_is_a_test_of_this_suite(name):
    module_name, _, function = PAGES[name].partition("::")
    module = importlib.import_module(f"tests.pages.{module_name.removesuffix('.py')}")
    test = getattr(module, function, None)
    assert callable(test) and function.startswith("test_"), f"{name}: no test {PAGES[name]}"


def test_each_reason_is_one_line_and_names_where_the_url_is_tested():
    from tests.test_role_matrix import ACTION_NAMES

    for name, reason in NOT_A_PAGE.items():
        assert reason and "\n" not in reason, name
        matrix = re.search(r"role matrix '([^']+)'", reason)
        if matrix:
            assert matrix.group(1) in ACTION_NAMES, (
                f"{name}: tests/test_role_matrix.py has no action {matrix.group(1)!r}"
            )
        else:
            assert re.search(r"tests/\S+\.py", reason), f"{name}: say which test covers it"


def _sample_path(route: str) -> str:
    """The route with a value for each converter (`<int:pk>` -> 1)."""
    values = {"int": "1", "str": "x", "path": "x/y", "worker": "AWORKER0000001", "slug": "x"}

    def value(match: re.Match) -> str:
        converter = match.group(1) or "str"
        return values.get(converter, "1")

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", value, route)


@pytest.mark.django_db
def test_urls_that_are_not_pages_refuse_a_get(client, alice):
    """What NOT_A_PAGE calls a POST-only action does not answer a GET with a page: a person
    following a link there would otherwise meet an untested page."""
    urls = dashboard_urls()
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    answered = {}
    for name, reason in NOT_A_PAGE.items():
        if not reason.startswith("POST-only"):
            continue
        status = client.get(_sample_path(urls[name])).status_code
        if status != 405:
            answered[name] = status
    assert not answered, f"these 'POST-only' URLs answer a GET: {answered}"
