"""`POST /`: the requester API, the wire's `serve` bound to the 39 operations.

Before an operation runs: due transitions (lazily, see `engine.lifecycle`), validation against
botocore's model, and the caller's customer.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ..engine import clock, lifecycle
from ..engine.accounts import customer_for
from ..wire import protocol
from ..wire.validation import validate_input
from . import REGISTRY
from .context import Context


def api(request: HttpRequest) -> HttpResponse:
    """Every MTurk requester operation."""
    return protocol.serve(request, perform)


def perform(call: protocol.Call) -> dict:
    """Run one operation (inside the work gate)."""
    now = clock.now()
    lifecycle.run_due_if_needed(now)
    params = validate_input(call.operation, call.params)
    context = Context(
        customer=customer_for(call.access_key_id, now),
        now=now,
        request_id=call.request_id,
        operation=call.operation,
    )
    return REGISTRY[call.operation](context, params)
