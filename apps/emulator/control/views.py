"""The control API under `/_emulator/` (not part of MTurk): reset, clock, faults, the worker
actions (accept, submit, return, preview, qualification requests), stats, layouts, and read-outs
of stored messages and events. JSON in, JSON out (see `common`)."""

from __future__ import annotations

import re

from django.db import transaction
from django.http import HttpRequest

from .. import models
from ..engine import clock, lifecycle
from ..engine.accounts import customer_cache
from ..engine.answers import answers_xml
from ..engine.qualifications import system_types_ensure
from ..operations.questions import layout_parameters_needed
from ..wire.faults import injector
from ..wire.stats import call_stats
from ..workers.actions import (
    assignable_hits_for,
    assignment_return,
    assignment_submit,
    hit_accept,
    hit_preview,
    qualification_request,
)
from .common import ControlError, control_view, field, json_body

WORKER_ID = re.compile(r"^A[A-Z0-9]+$")
LAYOUT_ID = re.compile(r"^[A-Z0-9]{1,64}$")
MAX_ADVANCE_SECONDS = 10 * 365 * 86400


# Children first, so foreign keys never block a delete.
_WIPE_ORDER = [
    models.SurveyResponse,
    models.SurveyCodeGrant,
    models.Survey,
    models.Event,
    models.NotificationSetting,
    models.WorkerNotification,
    models.RequestToken,
    models.BonusPayment,
    models.QualificationRequest,
    models.Qualification,
    models.WorkerBlock,
    models.Assignment,
    models.HIT,
    models.HITType,
    models.QualificationType,
    models.HITLayout,
    models.Worker,
    models.Customer,
]


def state_reset() -> None:
    """Wipe everything: customers, objects, workers, layouts, clock offset, faults, stats."""
    with transaction.atomic():
        for model in _WIPE_ORDER:
            model.objects.all().delete()
        clock.clock_reset()
        system_types_ensure(clock.now())
    customer_cache.clear()
    lifecycle.schedule.forget()
    injector.configure({})
    call_stats.reset()


@control_view({"POST"})
def reset(request: HttpRequest) -> dict:
    state_reset()
    return {"reset": True, "now": clock.iso(clock.now())}


@control_view({"GET", "POST"})
def clock_view(request: HttpRequest) -> dict:
    if request.method == "POST":
        data = json_body(request)
        seconds = data.get("advance_seconds", 0)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ControlError("advance_seconds must be a non-negative number")
        if seconds > MAX_ADVANCE_SECONDS:
            raise ControlError(f"advance_seconds must be at most {MAX_ADVANCE_SECONDS} (10 years)")
        moment = clock.clock_advance(seconds=float(seconds))
        done = lifecycle.run_due(moment)
        return {"now": clock.iso(moment), "transitions": done}
    return {"now": clock.iso(clock.now())}


@control_view({"GET", "POST"})
def faults(request: HttpRequest) -> dict:
    if request.method == "POST":
        try:
            return injector.configure(json_body(request))
        except (ValueError, TypeError) as exc:
            raise ControlError(str(exc)) from None
    return dict(injector.settings)


def _worker_id(data: dict) -> str:
    worker_id = field(data, "WorkerId")
    if not WORKER_ID.match(worker_id):
        raise ControlError("WorkerId must match ^A[A-Z0-9]+$")
    return worker_id


@control_view({"POST"})
def accept(request: HttpRequest) -> dict:
    data = json_body(request)
    assignment = hit_accept(
        worker_id=_worker_id(data), hit_id=field(data, "HITId"), now=clock.now()
    )
    return {"AssignmentId": assignment.assignment_id, "Deadline": clock.iso(assignment.deadline)}


@control_view({"POST"})
def submit(request: HttpRequest) -> dict:
    data = json_body(request)
    answer_xml = data.get("AnswerXML")
    answers = data.get("Answers")
    if answer_xml is not None and not isinstance(answer_xml, str):
        raise ControlError("AnswerXML must be a string")
    if answers is not None and not isinstance(answers, dict):
        raise ControlError("Answers must be an object of field -> value")
    now = clock.now()
    assignment = assignment_submit(
        assignment_id=field(data, "AssignmentId"),
        now=now,
        answers=answers,
        answer_xml=answer_xml,
    )
    lifecycle.run_due_if_needed(now)
    return {"AssignmentId": assignment.assignment_id, "AssignmentStatus": assignment.status}


@control_view({"POST"})
def return_view(request: HttpRequest) -> dict:
    data = json_body(request)
    assignment = assignment_return(assignment_id=field(data, "AssignmentId"), now=clock.now())
    return {"AssignmentId": assignment.assignment_id, "AssignmentStatus": assignment.status}


@control_view({"POST"})
def preview(request: HttpRequest) -> dict:
    data = json_body(request)
    return hit_preview(worker_id=_worker_id(data), hit_id=field(data, "HITId"))


@control_view({"GET"})
def available(request: HttpRequest) -> dict:
    worker_id = request.GET.get("worker", "")
    if not WORKER_ID.match(worker_id):
        raise ControlError("give ?worker=<WorkerId>")
    return {"HITIds": assignable_hits_for(worker_id)}


@control_view({"GET"})
def stats(request: HttpRequest) -> dict:
    return call_stats.snapshot()


@control_view({"GET", "POST"})
def layouts(request: HttpRequest) -> dict:
    if request.method == "GET":
        return {
            "Layouts": [
                {"HITLayoutId": layout.layout_id, "Template": layout.template}
                for layout in models.HITLayout.objects.order_by("layout_id")
            ]
        }
    data = json_body(request)
    layout_id = field(data, "HITLayoutId")
    template = field(data, "Template")
    if not LAYOUT_ID.match(layout_id):
        raise ControlError("HITLayoutId must be 1 to 64 upper-case letters and digits")
    if not template.strip():
        raise ControlError("Template must not be empty")
    models.HITLayout.objects.update_or_create(layout_id=layout_id, defaults={"template": template})
    return {
        "HITLayoutId": layout_id,
        "Parameters": sorted(layout_parameters_needed(template)),
    }


@control_view({"GET", "POST"})
def workers(request: HttpRequest) -> dict:
    """POST creates or changes a simulated worker's attributes (Locale, Adult, Masters,
    NumberHITsApproved, PercentAssignmentsApproved); GET ?worker= reads one."""
    if request.method == "GET":
        worker = models.Worker.objects.filter(worker_id=request.GET.get("worker", "")).first()
        if worker is None:
            raise ControlError("no such worker", "WorkerDoesNotExist", 404)
        return _worker_dict(worker)
    data = json_body(request)
    worker, _ = models.Worker.objects.get_or_create(worker_id=_worker_id(data))
    locale = data.get("Locale")
    if locale is not None:
        if not isinstance(locale, dict) or not re.match(r"^[A-Z]{2}$", locale.get("Country", "")):
            raise ControlError('Locale must look like {"Country": "US", "Subdivision": "CA"}')
        worker.locale_country = locale["Country"]
        worker.locale_subdivision = locale.get("Subdivision") or ""
    for key, attribute in (("Adult", "adult"), ("Masters", "masters")):
        if key in data:
            setattr(worker, attribute, field(data, key, bool))
    if "NumberHITsApproved" in data:
        worker.base_hits_approved = field(data, "NumberHITsApproved", int)
    if "PercentAssignmentsApproved" in data:
        value = data["PercentAssignmentsApproved"]
        if value is not None and (not isinstance(value, int) or not 0 <= value <= 100):
            raise ControlError("PercentAssignmentsApproved must be 0 to 100 or null")
        worker.percent_approved_override = value
    worker.save()
    return _worker_dict(worker)


def _worker_dict(worker: models.Worker) -> dict:
    return {
        "WorkerId": worker.worker_id,
        "Locale": {"Country": worker.locale_country, "Subdivision": worker.locale_subdivision},
        "Adult": worker.adult,
        "Masters": worker.masters,
        "NumberHITsApproved": worker.base_hits_approved,
        "PercentAssignmentsApproved": worker.percent_approved_override,
    }


@control_view({"POST"})
def qualification_requests(request: HttpRequest) -> dict:
    data = json_body(request)
    answer = data.get("Answer")
    if isinstance(answer, dict):
        answer = answers_xml(answer)
    elif answer is not None and not isinstance(answer, str):
        raise ControlError("Answer must be QuestionFormAnswers XML or an object field -> value")
    return qualification_request(
        worker_id=_worker_id(data),
        qualification_type_id=field(data, "QualificationTypeId"),
        now=clock.now(),
        answer=answer,
    )


def _customer_filter(request: HttpRequest) -> dict:
    key = request.GET.get("customer")
    return {"customer__access_key_id": key} if key else {}


@control_view({"GET"})
def notifications(request: HttpRequest) -> dict:
    items = models.WorkerNotification.objects.filter(**_customer_filter(request)).select_related(
        "customer"
    )
    return {
        "Notifications": [
            {
                "Customer": item.customer.access_key_id,
                "Subject": item.subject,
                "MessageText": item.message_text,
                "WorkerIds": item.worker_ids,
                "SentAt": clock.iso(item.sent_at),
            }
            for item in items.order_by("pk")
        ]
    }


@control_view({"GET"})
def events(request: HttpRequest) -> dict:
    items = models.Event.objects.filter(**_customer_filter(request)).select_related("customer")
    return {
        "Events": [
            {
                "Customer": item.customer.access_key_id,
                "EventType": item.event_type,
                "EventTimestamp": clock.iso(item.event_time),
                "HITId": item.hit_id,
                "HITTypeId": item.hit_type_id,
                "AssignmentId": item.assignment_id,
            }
            for item in items.order_by("pk")
        ]
    }
