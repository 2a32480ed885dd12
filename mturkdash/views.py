"""The few answers that belong to the site rather than to an app."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon itself
    (its unhashed name, which the static files server keeps, so the redirect stays valid)."""
    return redirect(f"{settings.STATIC_URL}favicon.svg", permanent=True)
