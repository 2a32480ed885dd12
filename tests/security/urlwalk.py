"""The dashboard's URL patterns, and which of their views accept a POST."""

from __future__ import annotations

import inspect
from collections import defaultdict
from dataclasses import dataclass
from types import SimpleNamespace

from django.urls import URLPattern, URLResolver, get_resolver, resolve

# Django's own pages: the site admin (superusers, its own permissions) and signing in and out.
NOT_OURS = ("admin:", "login", "logout")


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    view: object

    @property
    def methods(self) -> list[str] | None:
        """The methods a require_http_methods-style decorator allows; None when unrestricted."""
        if hasattr(self.view, "view_class"):
            return [m.upper() for m in self.view.view_class.http_method_names]
        function = self.view
        while function is not None:
            if inspect.isfunction(function):
                names = inspect.getclosurevars(function).nonlocals
                if "request_method_list" in names:
                    return list(names["request_method_list"])
            function = getattr(function, "__wrapped__", None)
        return None

    @property
    def accepts_post(self) -> bool:
        methods = self.methods
        return methods is None or "POST" in methods


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else ""
            yield Route(name, prefix + str(entry.pattern), entry.callback)


def dashboard_routes() -> list[Route]:
    return [
        r
        for r in _walk(get_resolver())
        if not r.name.startswith(NOT_OURS) and not r.route.startswith("admin/")
    ]


def post_routes() -> dict[str, Route]:
    routes = {r.name: r for r in dashboard_routes() if r.accepts_post}
    unnamed = [r.route for r in routes.values() if not r.name]
    assert not unnamed, f"views that accept POST without a URL name: {unnamed}"
    return routes


def role_matrix_names() -> dict[str, str]:
    """URL name -> the role matrix's row name, for every row the matrix runs."""
    from tests import test_role_matrix as matrix

    placeholders = defaultdict(lambda: SimpleNamespace(pk=1))
    names = {}
    for row in matrix._actions(placeholders):
        if row[0] in matrix.ACTION_NAMES:
            names[resolve(row[1].split("?")[0]).url_name] = row[0]
    return names
