"""The process's middleware below every view: a Host it answers to, and Content-Length on every
reply."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, JsonResponse


def content_length(get_response: Callable[[HttpRequest], HttpResponse]):
    """Content-Length on every reply, so waitress keeps connections alive (no chunking)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not response.streaming and not response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response

    return middleware


def allowed_hosts_only(get_response: Callable[[HttpRequest], HttpResponse]):
    """HTTP 400 (JSON) for a Host outside ALLOWED_HOSTS, before anything else looks at the
    request: a web page reaching the emulator through a name it made up (DNS rebinding) gets
    nothing."""

    def middleware(request: HttpRequest) -> HttpResponse:
        try:
            request.get_host()
        except DisallowedHost as exc:
            return JsonResponse({"error": "DisallowedHost", "message": str(exc)}, status=400)
        return get_response(request)

    return middleware
