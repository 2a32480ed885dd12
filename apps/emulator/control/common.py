"""What every control view shares: JSON in and out, errors as `{"error": ..., "message": ...}`
with HTTP 400 (404 for an unknown path, 405 for a wrong method), due transitions run first, and
the process's pid on every answer. Also the process's own 404 and 500 answers."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, JsonResponse

from ..engine import clock, lifecycle
from ..wire.gate import working
from ..workers.actions import WorkerActionError


class ControlError(Exception):
    def __init__(self, message: str, code: str = "BadRequest", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def json_body(request: HttpRequest) -> dict:
    if not request.body.strip():
        return {}
    try:
        data = json.loads(request.body)
    except ValueError as exc:
        raise ControlError(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ControlError("the body must be a JSON object")
    return data


def field(data: dict, key: str, kind: type = str) -> Any:
    value = data.get(key)
    if value is None:
        raise ControlError(f"{key} is required")
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ControlError(f"{key} must be a {kind.__name__}")
    return value


def control_view(methods: set[str]) -> Callable:
    """JSON in and out, ControlError/WorkerActionError as 400, due transitions run first."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, **path: str) -> JsonResponse:
            if request.method not in methods:
                return JsonResponse(
                    {"error": "MethodNotAllowed", "message": f"use {', '.join(sorted(methods))}"},
                    status=405,
                )
            try:
                with working():
                    lifecycle.run_due_if_needed(clock.now())
                    response = JsonResponse(view(request, **path), safe=False)
            except ControlError as exc:
                response = JsonResponse(
                    {"error": exc.code, "message": exc.message}, status=exc.status
                )
            except WorkerActionError as exc:
                response = JsonResponse({"error": exc.code, "message": exc.reason}, status=400)
            # Lets a launcher check that the process answering is the one it started.
            response["X-Emulator-Pid"] = str(os.getpid())
            return response

        return wrapper

    return decorate


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(
        {"error": "NotFound", "message": f"no such path: {request.path}"}, status=404
    )


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"__type": "ServiceFault", "Message": "internal error", "TurkErrorCode": "ServiceFault"},
        status=500,
    )
