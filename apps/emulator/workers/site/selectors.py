"""What the worker site shows: HIT groups a worker may discover, a worker's page, requestable
qualification types. Reads only; the actions are in `apps.emulator.workers.actions`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q

from ...delivery.documents import customer_id_for
from ...engine.accounts import worker_get_or_create
from ...engine.qualifications import unmet_requirements
from ...models import (
    HIT,
    Assignment,
    Qualification,
    QualificationRequest,
    QualificationType,
    Worker,
    WorkerBlock,
)

DONE = [
    Assignment.Status.ACCEPTED,
    Assignment.Status.SUBMITTED,
    Assignment.Status.APPROVED,
    Assignment.Status.REJECTED,
]


@dataclass
class HITGroup:
    hit_type_id: str
    title: str
    description: str
    requester: str
    reward: Decimal
    seconds_allotted: int
    hits_available: int = 0
    requirements: list[str] = field(default_factory=list)
    next_hit_id: str = ""
    blocked: bool = False


def qualification_names(ids: set[str]) -> dict[str, str]:
    return dict(
        QualificationType.objects.filter(qualification_type_id__in=ids).values_list(
            "qualification_type_id", "name"
        )
    )


def _describe(requirement: dict, names: dict[str, str]) -> str:
    name = names.get(requirement["QualificationTypeId"], requirement["QualificationTypeId"])
    values = requirement.get("IntegerValues") or [
        f"{v.get('Country', '')}{'-' + v['Subdivision'] if v.get('Subdivision') else ''}"
        for v in requirement.get("LocaleValues") or []
    ]
    return f"{name} {requirement['Comparator']} {', '.join(str(v) for v in values)}".strip()


def hit_groups_for(worker_id: str, now: datetime) -> list[HITGroup]:
    """Assignable HITs grouped by HIT type, without the groups this worker may not discover."""
    worker = worker_get_or_create(worker_id)
    done = set(
        Assignment.objects.filter(worker_id=worker_id, status__in=DONE).values_list(
            "hit_id", flat=True
        )
    )
    blocked = set(
        WorkerBlock.objects.filter(worker_id=worker_id).values_list("customer_id", flat=True)
    )
    hits = (
        HIT.objects.select_related("hit_type", "customer")
        .filter(status=HIT.Status.ASSIGNABLE, deleted=False, expiration__gt=now)
        .order_by("pk")
    )
    groups: dict[int, HITGroup] = {}
    hidden: set[int] = set()
    for hit in hits:
        hit_type = hit.hit_type
        if hit_type.pk in hidden:
            continue
        group = groups.get(hit_type.pk)
        if group is None:
            if unmet_requirements(worker, hit_type.qualification_requirements, "discover"):
                hidden.add(hit_type.pk)
                continue
            group = groups[hit_type.pk] = HITGroup(
                hit_type_id=hit_type.hit_type_id,
                title=hit_type.title,
                description=hit_type.description,
                requester=customer_id_for(hit.customer.access_key_id),
                reward=hit_type.reward,
                seconds_allotted=hit_type.assignment_duration,
                blocked=hit.customer_id in blocked,
            )
        group.hits_available += hit.number_available
        if not group.next_hit_id and hit.pk not in done:
            group.next_hit_id = hit.hit_id
    ids = {
        r["QualificationTypeId"]
        for hit_type in {hit.hit_type for hit in hits}
        for r in hit_type.qualification_requirements
    }
    names = qualification_names(ids)
    by_type = {hit.hit_type.hit_type_id: hit.hit_type for hit in hits}
    for group in groups.values():
        group.requirements = [
            _describe(r, names) for r in by_type[group.hit_type_id].qualification_requirements
        ]
    return [group for group in groups.values() if group.next_hit_id]


@dataclass
class WorkerPage:
    worker: Worker
    qualifications: list[dict]
    blocks: list[dict]
    history: list[Assignment]
    pending_requests: list[QualificationRequest]


def worker_page(worker_id: str) -> WorkerPage:
    worker = worker_get_or_create(worker_id)
    qualifications = [
        {
            "name": q.qualification_type.name,
            "id": q.qualification_type.qualification_type_id,
            "value": q.integer_value,
            "status": q.status,
            "granted": q.grant_time,
        }
        for q in Qualification.objects.filter(worker_id=worker_id)
        .select_related("qualification_type")
        .order_by("grant_time")
    ]
    blocks = [
        {"requester": customer_id_for(b.customer.access_key_id), "reason": b.reason}
        for b in WorkerBlock.objects.filter(worker_id=worker_id).select_related("customer")
    ]
    history = list(
        Assignment.objects.filter(worker_id=worker_id)
        .select_related("hit__hit_type")
        .order_by("-accept_time")[:100]
    )
    pending = list(
        QualificationRequest.objects.filter(
            worker_id=worker_id, status=QualificationRequest.Status.PENDING
        ).select_related("qualification_type")
    )
    return WorkerPage(worker, qualifications, blocks, history, pending)


@dataclass
class RequestableType:
    qtype: QualificationType
    value: int | None
    pending: bool
    retry_at: datetime | None
    blocker: str = ""


def request_blocker(qtype: QualificationType, worker_id: str, now: datetime) -> str:
    """Why the worker cannot request `qtype` now ("" when they can)."""
    previous = (
        QualificationRequest.objects.filter(qualification_type=qtype, worker_id=worker_id)
        .order_by("-submit_time")
        .first()
    )
    if previous is None:
        return ""
    if previous.status == QualificationRequest.Status.PENDING:
        return "Your request is waiting for the requester."
    if qtype.retry_delay is None:
        return "This qualification cannot be requested again."
    retry_at = previous.submit_time + timedelta(seconds=qtype.retry_delay)
    if retry_at > now:
        return f"You can ask again after {retry_at:%Y-%m-%d %H:%M:%S} UTC."
    return ""


def requestable_types(worker_id: str, now: datetime) -> list[RequestableType]:
    values = dict(
        Qualification.objects.filter(worker_id=worker_id).values_list(
            "qualification_type_id", "integer_value"
        )
    )
    found = []
    for qtype in QualificationType.objects.filter(
        ~Q(customer=None), deleted=False, status="Active", is_requestable=True
    ).order_by("name"):
        blocker = request_blocker(qtype, worker_id, now)
        found.append(
            RequestableType(
                qtype=qtype,
                value=values.get(qtype.pk),
                pending="waiting" in blocker,
                retry_at=None,
                blocker=blocker,
            )
        )
    return found
