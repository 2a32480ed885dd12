"""What workers do: preview, accept, submit, return, request qualifications.

Used by the worker site, the simulated crowd and the control API. Each function raises
`WorkerActionError` with a reason a person can read when the worker may not do it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from ..engine.accounts import worker_get_or_create
from ..engine.answers import answer_key_score, answer_values, answers_xml
from ..engine.lifecycle import assignment_transition, due_at, event_emit, hit_lock, hit_refresh
from ..engine.qualifications import qualification_grant, unmet_requirements
from ..engine.review_policies import assignment_policy_run
from ..models import HIT, Assignment, QualificationRequest, QualificationType, WorkerBlock
from ..wire import errors
from ..wire.ids import new_id


class WorkerActionError(Exception):
    """The worker may not do this; `reason` says why."""

    def __init__(self, reason: str, code: str = "NotAllowed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def _hit_for(hit_id: str) -> HIT:
    hit = HIT.objects.select_related("hit_type").filter(hit_id=hit_id, deleted=False).first()
    if hit is None:
        raise WorkerActionError(f"HIT {hit_id} does not exist", "HITDoesNotExist")
    return hit


def _describe(requirements: list[dict]) -> str:
    return ", ".join(f"{r['QualificationTypeId']} {r['Comparator']}" for r in requirements)


def hit_preview(*, worker_id: str, hit_id: str) -> dict:
    """The HIT's question as the worker would preview it, if the requirements allow."""
    hit = _hit_for(hit_id)
    worker = worker_get_or_create(worker_id)
    failed = unmet_requirements(worker, hit.hit_type.qualification_requirements, "preview")
    if failed:
        raise WorkerActionError(
            f"worker {worker_id} is not qualified to preview this HIT: {_describe(failed)}",
            "NotQualified",
        )
    return {"HITId": hit.hit_id, "Question": hit.question, "HITStatus": hit.status}


def hit_accept(*, worker_id: str, hit_id: str, now: datetime) -> Assignment:
    """Give the worker one assignment of the HIT (AssignmentAccepted)."""
    with transaction.atomic():
        hit = _hit_for(hit_id)
        hit = hit_lock(hit.pk)
        worker = worker_get_or_create(worker_id)
        if WorkerBlock.objects.filter(customer_id=hit.customer_id, worker_id=worker_id).exists():
            raise WorkerActionError(
                f"worker {worker_id} is blocked by this HIT's requester", "Blocked"
            )
        failed = unmet_requirements(worker, hit.hit_type.qualification_requirements, "accept")
        if failed:
            raise WorkerActionError(
                f"worker {worker_id} does not meet the qualification requirements: "
                f"{_describe(failed)}",
                "NotQualified",
            )
        already = hit.assignments.filter(
            worker_id=worker_id,
            status__in=[
                Assignment.Status.ACCEPTED,
                Assignment.Status.SUBMITTED,
                Assignment.Status.APPROVED,
                Assignment.Status.REJECTED,
            ],
        ).exists()
        if already:
            raise WorkerActionError(
                f"worker {worker_id} already worked on HIT {hit_id}", "AlreadyDone"
            )
        if hit.status != HIT.Status.ASSIGNABLE or hit.expiration <= now:
            raise WorkerActionError(
                f"HIT {hit_id} has no assignment available (status {hit.status})",
                "NothingAvailable",
            )
        assignment = Assignment.objects.create(
            customer_id=hit.customer_id,
            assignment_id=new_id(),
            hit=hit,
            worker_id=worker_id,
            status=Assignment.Status.ACCEPTED,
            accept_time=now,
            deadline=now + timedelta(seconds=hit.hit_type.assignment_duration),
        )
        HIT.objects.filter(pk=hit.pk).update(number_pending=hit.number_pending + 1)
        hit.number_pending += 1
        event_emit(
            customer_id=hit.customer_id,
            event_type="AssignmentAccepted",
            at=now,
            hit=hit,
            assignment_id=assignment.assignment_id,
        )
        hit_refresh(hit, now=now)
        due_at(assignment.deadline)
    return assignment


def _accepted(assignment_id: str) -> Assignment:
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("hit__hit_type")
        .filter(assignment_id=assignment_id)
        .first()
    )
    if assignment is None:
        raise WorkerActionError(
            f"assignment {assignment_id} does not exist", "AssignmentDoesNotExist"
        )
    if assignment.status != Assignment.Status.ACCEPTED:
        raise WorkerActionError(
            f"assignment {assignment_id} is {assignment.status}, not Accepted", "InvalidState"
        )
    return assignment


def assignment_submit(
    *,
    assignment_id: str,
    now: datetime,
    answers: dict[str, str] | None = None,
    answer_xml: str | None = None,
) -> Assignment:
    """Submit the worker's answer (QuestionFormAnswers XML) before the deadline."""
    if answer_xml is None:
        answer_xml = answers_xml(answers or {})
    else:
        try:
            answer_values(answer_xml)
        except Exception as exc:
            raise WorkerActionError(
                f"AnswerXML is not well-formed XML: {exc}", "BadAnswer"
            ) from None
    with transaction.atomic():
        assignment = _accepted(assignment_id)
        if assignment.deadline <= now:
            raise WorkerActionError(
                f"assignment {assignment_id} passed its deadline", "InvalidState"
            )
        auto_approval = now + timedelta(seconds=assignment.hit.hit_type.auto_approval_delay)
        assignment_transition(
            assignment,
            "submit",
            now=now,
            submit_time=now,
            auto_approval_time=auto_approval,
            answer=answer_xml,
        )
        due_at(auto_approval)
        if assignment.hit.assignment_review_policy:
            assignment_policy_run(assignment, now=now)
    return assignment


def assignment_return(*, assignment_id: str, now: datetime) -> Assignment:
    with transaction.atomic():
        assignment = _accepted(assignment_id)
        assignment_transition(assignment, "return", now=now)
    return assignment


# ---------------------------------------------------------------------------------------------
# Qualification requests and tests


def qualification_request(
    *, worker_id: str, qualification_type_id: str, now: datetime, answer: str | None = None
) -> dict:
    """A worker asks for a qualification: granted at once (AutoGranted, or a test scored by an
    AnswerKey), or left pending for the requester (ListQualificationRequests)."""
    with transaction.atomic():
        qtype = QualificationType.objects.filter(
            qualification_type_id=qualification_type_id, deleted=False, customer__isnull=False
        ).first()
        if qtype is None or qtype.status != "Active" or not qtype.is_requestable:
            raise WorkerActionError(
                f"qualification type {qualification_type_id} cannot be requested",
                "QualificationTypeDoesNotExist",
            )
        worker_get_or_create(worker_id)
        previous = (
            QualificationRequest.objects.filter(qualification_type=qtype, worker_id=worker_id)
            .order_by("-submit_time")
            .first()
        )
        if previous is not None:
            if previous.status == QualificationRequest.Status.PENDING:
                raise WorkerActionError("a request for this qualification is pending", "Pending")
            if qtype.retry_delay is None:
                raise WorkerActionError(
                    "this qualification type does not allow retries", "RetryNotAllowed"
                )
            if previous.submit_time + timedelta(seconds=qtype.retry_delay) > now:
                raise WorkerActionError("the retry delay has not passed yet", "RetryTooSoon")
        if qtype.test and answer is None:
            raise WorkerActionError("this qualification type has a test: give an Answer")
        request = QualificationRequest.objects.create(
            request_id=new_id(),
            qualification_type=qtype,
            worker_id=worker_id,
            test=qtype.test,
            answer=answer or "",
            submit_time=now,
        )
        granted_value = None
        if qtype.auto_granted:
            granted_value = qtype.auto_granted_value if qtype.auto_granted_value is not None else 1
        elif qtype.test and qtype.answer_key:
            try:
                granted_value = answer_key_score(qtype.answer_key, answer or "")
            except (errors.RequestError, ValueError) as exc:
                raise WorkerActionError(f"the answer could not be scored: {exc}") from None
        if granted_value is not None:
            request.status = QualificationRequest.Status.ACCEPTED
            request.save(update_fields=["status"])
            qualification_grant(qtype=qtype, worker_id=worker_id, value=granted_value, now=now)
    return {
        "QualificationRequestId": request.request_id,
        "Status": request.status,
        "IntegerValue": granted_value,
    }


def assignable_hits_for(worker_id: str) -> list[str]:
    """HIT ids the worker could accept now (used by tools that drive a crowd)."""
    worker = worker_get_or_create(worker_id)
    blocked = WorkerBlock.objects.filter(worker_id=worker_id).values_list("customer_id", flat=True)
    hits = (
        HIT.objects.select_related("hit_type")
        .filter(status=HIT.Status.ASSIGNABLE, deleted=False)
        .exclude(customer_id__in=list(blocked))
        .exclude(
            Q(assignments__worker_id=worker_id)
            & ~Q(assignments__status__in=[Assignment.Status.RETURNED, Assignment.Status.ABANDONED])
        )
    )
    return [
        hit.hit_id
        for hit in hits
        if not unmet_requirements(worker, hit.hit_type.qualification_requirements, "discover")
    ]
