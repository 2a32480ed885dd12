"""Every page needs a signed-in person: walk every URL pattern as an anonymous visitor."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Pages that must answer without a session, and how: the sign-in pages themselves, and the
# icon browsers ask for on every site.
PUBLIC = {"login": 200, "admin:login": 200, "favicon": 301}


def _patterns(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}" if entry.name else "", prefix + str(entry.pattern)


def _concrete(route: str) -> str:
    route = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
    route = re.sub(r"<(?:int:)?\w+>", "1", route)
    route = re.sub(r"<(?:str|slug|path|worker):\w+>", "x", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    return "/" + route


ALL = sorted(set(_patterns(get_resolver())))


def test_the_walk_covers_the_dashboard():
    names = {name for name, _ in ALL}
    assert {"home", "requesters-detail", "requesters-edit", "audit-list", "audit-export"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "route"), ALL, ids=[f"{n or '-'}:{r}" for n, r in ALL])
def test_it_needs_login(client, name, route):
    url = _concrete(route)
    if name in PUBLIC:
        assert client.get(url).status_code == PUBLIC[name]
        return
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302, (
            f"{method.__name__.upper()} {url} answered {response.status_code}"
        )
        assert "/login/" in response["Location"]
