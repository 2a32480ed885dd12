"""The AWS JSON 1.1 wire protocol: `POST /` with `X-Amz-Target`, SigV4, JSON in and out.

One view (`api`) runs every requester operation: parse the target, authenticate, count the call,
inject faults, run due transitions, validate against botocore's model, dispatch to
`operations.REGISTRY`, and answer with `x-amzn-RequestId` on every reply. Nothing here ever
answers with an HTML error page.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from . import clock, errors, lifecycle
from .auth import authenticate
from .errors import AuthError, RequestError
from .faults import Throttled, injector
from .gate import working
from .ids import new_request_id
from .models import Customer
from .stats import call_stats
from .validation import operation_names, validate_input

logger = logging.getLogger(__name__)

TARGET_PREFIX = "MTurkRequesterServiceV20170117"
CONTENT_TYPE = "application/x-amz-json-1.1"


@dataclass
class Context:
    """What an operation gets besides its parameters."""

    customer: Customer
    now: datetime
    request_id: str
    operation: str


class _CustomerCache:
    """access key id -> Customer pk (and HIT type signature -> HITType); cleared on reset."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: dict[str, int] = {}
        self.hit_types: dict[tuple[int, str], Any] = {}

    def clear(self) -> None:
        with self.lock:
            self.ids.clear()
            self.hit_types.clear()


customer_cache = _CustomerCache()


def customer_for(access_key_id: str, now: datetime) -> Customer:
    """The customer for an access key id, created with the starting balance on first use."""
    pk = customer_cache.ids.get(access_key_id)
    if pk is not None:
        # Operations use the customer only as a key (balances are always re-read), so a
        # cached pk saves a query on every request.
        customer = Customer(pk=pk, access_key_id=access_key_id)
        customer._state.adding = False
        customer._state.db = "default"
        return customer
    customer = Customer.objects.filter(access_key_id=access_key_id).first()
    if customer is None:
        try:
            with transaction.atomic():
                customer = Customer.objects.create(
                    access_key_id=access_key_id,
                    balance=settings.EMULATOR_STARTING_BALANCE,
                    created_at=now,
                )
        except IntegrityError:
            customer = Customer.objects.get(access_key_id=access_key_id)
    with customer_cache.lock:
        customer_cache.ids[access_key_id] = customer.pk
    return customer


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


def api(request: HttpRequest) -> HttpResponse:
    """Every MTurk requester operation."""
    from .operations import REGISTRY

    request_id = new_request_id()
    operation = "?"
    try:
        if request.method != "POST":
            raise RequestError(
                errors.MALFORMED_REQUEST,
                "The MTurk API takes POST / with an X-Amz-Target header.",
            )
        try:
            body = request.body
        except RequestDataTooBig:
            raise RequestError(
                errors.MALFORMED_REQUEST,
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
            ) from None
        operation = _operation_from(request)
        access_key_id = authenticate(request, body)
        call_stats.record(operation, access_key_id)
        params = _params_from(body)
        injector.before(operation)
        with working():
            now = clock.now()
            lifecycle.run_due_if_needed(now)
            params = validate_input(operation, params)
            context = Context(
                customer=customer_for(access_key_id, now),
                now=now,
                request_id=request_id,
                operation=operation,
            )
            result = REGISTRY[operation](context, params)
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
