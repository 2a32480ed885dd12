"""Who may drive the control API: every `/_emulator/` request carries the control token.

The control API can wipe the emulator, move its clock and act as any worker, and it answers on
the same origin as the worker site, where requesters' HIT scripts run. So a control request is
refused unless:

- it carries `X-Emulator-Control-Token` with the process's token (403 otherwise);
- its `Origin`, when a browser sent one, is the emulator's own (403; a HIT's sandboxed frame
  sends `Origin: null`);
- its body, if any, is `application/json` (415): a browser's "simple request" (text/plain,
  form-encoded, no preflight) can never be a control call.

The token is `EMULATOR_CONTROL_TOKEN`, else the content of `EMULATOR_CONTROL_TOKEN_FILE`
(default `var/emulator-control-token`), which `manage.py emulator` creates (mode 0600, a
`secrets.token_urlsafe(32)`) when it is missing. Without either, every control call is refused.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

PREFIX = "/_emulator/"
TOKEN_HEADER = "X-Emulator-Control-Token"
JSON = "application/json"


@cache
def _token_in_file(path: str) -> str:
    try:
        return Path(path).read_text().strip()
    except FileNotFoundError:
        return ""


def control_token() -> str:
    """The token control requests must carry ("" when none is configured)."""
    return settings.EMULATOR_CONTROL_TOKEN or _token_in_file(
        str(settings.EMULATOR_CONTROL_TOKEN_FILE)
    )


def control_token_ensure() -> str:
    """Where the token comes from, for the start message; creates the token file (0600) when
    `EMULATOR_CONTROL_TOKEN` is not set and the file is missing."""
    if settings.EMULATOR_CONTROL_TOKEN:
        return "EMULATOR_CONTROL_TOKEN"
    path = Path(settings.EMULATOR_CONTROL_TOKEN_FILE)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
    _token_in_file.cache_clear()
    if not control_token():
        raise ValueError(f"the control token file {path} is empty")
    return str(path)


def _refused(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message}, status=status)


def _own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _has_body(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    return length > 0 or "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()


def refusal(request: HttpRequest) -> JsonResponse | None:
    """Why this control request may not run, or None when it may."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != _own_origin(request):
        return _refused(
            403, "CrossOrigin", f"control requests are not taken from origin {origin!r}"
        )
    if (request.content_type or _has_body(request)) and request.content_type != JSON:
        return _refused(
            415, "UnsupportedMediaType", f"control requests send {JSON} or no body at all"
        )
    expected = control_token()
    given = request.headers.get(TOKEN_HEADER, "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return _refused(
            403,
            "Forbidden",
            f"control requests need the {TOKEN_HEADER} header with the control token "
            "(EMULATOR_CONTROL_TOKEN, or the file var/emulator-control-token)",
        )
    return None


def control_guard(get_response: Callable[[HttpRequest], HttpResponse]):
    """Middleware: every request under `/_emulator/` passes `refusal` first."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.path.startswith(PREFIX) or request.path == PREFIX.rstrip("/"):
            refused = refusal(request)
            if refused is not None:
                return refused
        return get_response(request)

    return middleware
