"""The AWS JSON 1.1 wire protocol: `POST /` with `X-Amz-Target`, SigV4, JSON in and out.

`serve` runs every requester call: parse the target, authenticate, count the call, inject
faults, hand the call to the operations (inside the work gate), and answer with
`x-amzn-RequestId` on every reply. Nothing here ever answers with an HTML error page, and
nothing here knows an operation: `apps.emulator.operations.endpoint` binds them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from . import errors
from .auth import authenticate
from .errors import AuthError, RequestError
from .faults import Throttled, injector
from .gate import working
from .ids import new_request_id
from .stats import call_stats
from .validation import operation_names

logger = logging.getLogger(__name__)

TARGET_PREFIX = "MTurkRequesterServiceV20170117"
CONTENT_TYPE = "application/x-amz-json-1.1"


@dataclass(frozen=True)
class Call:
    """An authenticated requester call, as it came over the wire (parameters not validated)."""

    operation: str
    access_key_id: str
    params: Any
    request_id: str


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def json_response(payload: dict, request_id: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(payload, default=_default, separators=(",", ":")),
        status=status,
        content_type=CONTENT_TYPE,
    )
    response["x-amzn-RequestId"] = request_id
    return response


def _throttled(request_id: str) -> HttpResponse:
    return json_response(
        {"__type": "ThrottlingException", "message": "Rate exceeded"}, request_id, 400
    )


def _operation_from(request: HttpRequest) -> str:
    target = request.headers.get("X-Amz-Target")
    if not target:
        raise RequestError(
            errors.UNKNOWN_OPERATION,
            f"Missing X-Amz-Target header: expected {TARGET_PREFIX}.<Operation>.",
        )
    prefix, _, operation = target.partition(".")
    if prefix != TARGET_PREFIX or operation not in operation_names():
        raise RequestError(
            errors.UNKNOWN_OPERATION,
            f"Unknown operation {target!r}: expected {TARGET_PREFIX}.<Operation> with one of the "
            "39 MTurk operations.",
        )
    return operation


def _params_from(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        params = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(
            errors.MALFORMED_REQUEST, f"The request body is not valid JSON: {exc}"
        ) from None
    if not isinstance(params, dict):
        raise RequestError(errors.MALFORMED_REQUEST, "The request body must be a JSON object.")
    return params


def _body_of(request: HttpRequest) -> bytes:
    if request.method != "POST":
        raise RequestError(
            errors.MALFORMED_REQUEST,
            "The MTurk API takes POST / with an X-Amz-Target header.",
        )
    try:
        return request.body
    except RequestDataTooBig:
        raise RequestError(
            errors.MALFORMED_REQUEST,
            f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
        ) from None


def serve(request: HttpRequest, perform: Callable[[Call], dict]) -> HttpResponse:
    """Answer one requester call; `perform(call)` does the operation and returns its result.

    Faults are injected around it: throttling, latency and errors before (latency sleeps
    outside the gate), a lost response after (the operation happened, the answer is lost).
    """
    request_id = new_request_id()
    operation = "?"
    try:
        body = _body_of(request)
        operation = _operation_from(request)
        access_key_id = authenticate(request, body)
        call_stats.record(operation, access_key_id)
        params = _params_from(body)
        injector.before(operation)
        with working():
            result = perform(Call(operation, access_key_id, params, request_id))
        if injector.lose_response(operation):
            raise errors.ServiceFault(
                errors.SERVICE_FAULT,
                "Injected lost response: the operation was performed but its answer was lost.",
            )
        return json_response(result, request_id)
    except Throttled:
        call_stats.record_error("ThrottlingException")
        return _throttled(request_id)
    except (RequestError, AuthError) as exc:
        call_stats.record_error(exc.wire_type)
        return json_response(exc.body(), request_id, exc.status)
    except Exception:
        logger.exception("operation %s failed", operation)
        call_stats.record_error("ServiceFault")
        fault = errors.ServiceFault(
            errors.SERVICE_FAULT, "The service encountered an internal error; try again."
        )
        return json_response(fault.body(), request_id, fault.status)
