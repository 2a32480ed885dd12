"""Control API for notification delivery and the simulated crowd (not part of MTurk).

- `POST /_emulator/notifications/flush`: deliver every pending outbox event now, ignoring
  backoff; answers the drain's counts (`messages`, `events_sent`, `failed`, `pending`, ...).
- `GET /_emulator/notifications/outbox`: counts by delivery state and the pending events.
- `POST /_emulator/notifications/sender {"paused": true}`: stop (or resume) the background sender,
  so that only flushes deliver (tests of ordering faults need that).
- `POST /_emulator/crowd/work {...}`: simulated workers act on assignments (see `workers.crowd`).
- `POST /_emulator/crowd/truth {"HITId", "Answers"}`: the per-HIT truth the crowd's accuracy is
  measured against.
"""

from __future__ import annotations

from django.http import HttpRequest

from ..delivery import outbox
from ..engine import clock
from ..workers import crowd
from .common import ControlError, control_view, field, json_body


@control_view({"POST"})
def notifications_flush(request: HttpRequest) -> dict:
    return outbox.drain(force=True).as_dict()


@control_view({"GET"})
def notifications_outbox(request: HttpRequest) -> dict:
    return outbox.outbox_summary()


@control_view({"POST"})
def notifications_sender(request: HttpRequest) -> dict:
    data = json_body(request)
    outbox.sender.pause(field(data, "paused", bool))
    return {"paused": outbox.sender.paused}


@control_view({"POST"})
def crowd_work(request: HttpRequest) -> dict:
    data = json_body(request)
    try:
        plan = crowd.CrowdPlan.from_request(data)
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    try:
        return crowd.crowd_work(plan, now=clock.now())
    except crowd.CrowdError as exc:
        raise ControlError(str(exc), exc.code) from None


@control_view({"POST"})
def crowd_truth(request: HttpRequest) -> dict:
    data = json_body(request)
    answers = field(data, "Answers", dict)
    # An element that answers with an object (a bounding box, a slider...) takes its truth in
    # its own output shape: any JSON value.
    if not all(isinstance(k, str) and v is not None for k, v in answers.items()):
        raise ControlError("Answers must map field names to a value or a list of values")
    try:
        return crowd.truth_set(hit_id=field(data, "HITId"), answers=answers)
    except crowd.CrowdError as exc:
        raise ControlError(str(exc), exc.code) from None
