"""Helpers shared by the operations: lookups scoped to the customer, serialisers, pagination
and UniqueRequestToken bookkeeping."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from .. import errors, fees, rules
from ..models import HIT, Assignment, HITType, QualificationType, RequestToken
from ..protocol import Context

DEFAULT_PAGE_SIZE = 10


def hit_get(ctx: Context, hit_id: str, *, include_deleted: bool = True) -> HIT:
    hit = (
        HIT.objects.select_related("hit_type").filter(customer=ctx.customer, hit_id=hit_id).first()
    )
    if hit is None or (hit.deleted and not include_deleted):
        raise errors.RequestError(
            errors.HIT_DOES_NOT_EXIST, f"Hit {hit_id} does not exist. ({ctx.request_id})"
        )
    return hit


def hit_type_get(ctx: Context, hit_type_id: str) -> HITType:
    hit_type = HITType.objects.filter(customer=ctx.customer, hit_type_id=hit_type_id).first()
    if hit_type is None:
        raise errors.RequestError(
            errors.HIT_TYPE_DOES_NOT_EXIST,
            f"HIT type {hit_type_id} does not exist. ({ctx.request_id})",
        )
    return hit_type


def assignment_get(ctx: Context, assignment_id: str, *, for_update: bool = False) -> Assignment:
    """A visible (Submitted / Approved / Rejected) assignment of the caller's HITs."""
    query = Assignment.objects.select_related("hit__hit_type")
    if for_update:
        query = query.select_for_update(of=("self",))
    assignment = query.filter(customer=ctx.customer, assignment_id=assignment_id).first()
    if assignment is None or assignment.status not in Assignment.VISIBLE:
        raise errors.RequestError(
            errors.ASSIGNMENT_DOES_NOT_EXIST,
            f"Assignment {assignment_id} does not exist. ({ctx.request_id})",
        )
    return assignment


def qualification_type_get(
    ctx: Context, qualification_type_id: str, *, owned: bool = False
) -> QualificationType:
    """A qualification type the caller may use: its own, or (unless `owned`) a system type."""
    qtype = QualificationType.objects.filter(
        qualification_type_id=qualification_type_id, deleted=False
    ).first()
    visible = qtype is not None and (
        qtype.customer_id == ctx.customer.pk or (qtype.customer_id is None and not owned)
    )
    if not visible:
        raise errors.RequestError(
            errors.QUALIFICATION_TYPE_DOES_NOT_EXIST,
            f"QualificationType {qualification_type_id} does not exist. ({ctx.request_id})",
        )
    return qtype


def hit_dict(hit: HIT) -> dict[str, Any]:
    hit_type = hit.hit_type
    data: dict[str, Any] = {
        "HITId": hit.hit_id,
        "HITTypeId": hit_type.hit_type_id,
        "HITGroupId": hit.hit_group_id,
        "CreationTime": hit.created_at,
        "Title": hit_type.title,
        "Description": hit_type.description,
        "Question": hit.question,
        "Keywords": hit_type.keywords,
        "HITStatus": hit.status,
        "MaxAssignments": hit.max_assignments,
        "Reward": fees.money(hit_type.reward),
        "AutoApprovalDelayInSeconds": hit_type.auto_approval_delay,
        "Expiration": hit.expiration,
        "AssignmentDurationInSeconds": hit_type.assignment_duration,
        "QualificationRequirements": hit_type.qualification_requirements,
        "HITReviewStatus": hit.review_status,
        "NumberOfAssignmentsPending": hit.number_pending,
        "NumberOfAssignmentsAvailable": hit.number_available,
        "NumberOfAssignmentsCompleted": hit.number_completed,
    }
    if hit.hit_layout_id:
        data["HITLayoutId"] = hit.hit_layout_id
    if hit.requester_annotation:
        data["RequesterAnnotation"] = hit.requester_annotation
    return data


_PAGE_FIELDS = (
    "pk",
    "hit_id",
    "hit_type_id",
    "hit_group_id",
    "hit_layout_id",
    "question",
    "created_at",
    "expiration",
    "max_assignments",
    "requester_annotation",
    "status",
    "review_status",
    "number_pending",
    "number_completed",
)


def _epoch(value: datetime | str) -> float:
    """Seconds since the epoch from a timestamp column read without Django's converters
    (SQLite gives text in UTC, PostgreSQL an aware datetime)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value.timestamp()


def hit_page(queryset: QuerySet, params: dict) -> dict[str, Any]:
    """A page of HITs for the List operations, read as plain rows (no model instances) with
    each HIT type fetched once: the hot path of ListHITs."""
    size = params.get("MaxResults") or DEFAULT_PAGE_SIZE
    if params.get("NextToken"):
        queryset = queryset.filter(pk__gt=_decode_token(params["NextToken"]))
    # Run the ORM's SQL on a plain cursor: Django's per-value converters cost more than the
    # query itself for a page of 100 HITs.
    sql, sql_params = (
        queryset.order_by("pk").values_list(*_PAGE_FIELDS)[: size + 1].query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, sql_params)
        rows = [dict(zip(_PAGE_FIELDS, row, strict=True)) for row in cursor.fetchall()]
    meta: dict[str, Any] = {}
    if len(rows) > size:
        rows = rows[:size]
        meta["NextToken"] = _encode_token(rows[-1]["pk"])
    meta["NumResults"] = len(rows)
    types = {
        hit_type.pk: hit_type
        for hit_type in HITType.objects.filter(pk__in={row["hit_type_id"] for row in rows})
    }
    hits = []
    for row in rows:
        hit_type = types[row["hit_type_id"]]
        available = row["max_assignments"] - row["number_pending"] - row["number_completed"]
        data: dict[str, Any] = {
            "HITId": row["hit_id"],
            "HITTypeId": hit_type.hit_type_id,
            "HITGroupId": row["hit_group_id"],
            "CreationTime": _epoch(row["created_at"]),
            "Title": hit_type.title,
            "Description": hit_type.description,
            "Question": row["question"],
            "Keywords": hit_type.keywords,
            "HITStatus": row["status"],
            "MaxAssignments": row["max_assignments"],
            "Reward": fees.money(hit_type.reward),
            "AutoApprovalDelayInSeconds": hit_type.auto_approval_delay,
            "Expiration": _epoch(row["expiration"]),
            "AssignmentDurationInSeconds": hit_type.assignment_duration,
            "QualificationRequirements": hit_type.qualification_requirements,
            "HITReviewStatus": row["review_status"],
            "NumberOfAssignmentsPending": row["number_pending"],
            "NumberOfAssignmentsAvailable": max(0, available),
            "NumberOfAssignmentsCompleted": row["number_completed"],
        }
        if row["hit_layout_id"]:
            data["HITLayoutId"] = row["hit_layout_id"]
        if row["requester_annotation"]:
            data["RequesterAnnotation"] = row["requester_annotation"]
        hits.append(data)
    return {**meta, "HITs": hits}


def assignment_dict(assignment: Assignment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "AssignmentId": assignment.assignment_id,
        "WorkerId": assignment.worker_id,
        "HITId": assignment.hit.hit_id,
        "AssignmentStatus": assignment.status,
        "AcceptTime": assignment.accept_time,
        "Deadline": assignment.deadline,
        "Answer": assignment.answer,
    }
    optional = {
        "AutoApprovalTime": assignment.auto_approval_time,
        "SubmitTime": assignment.submit_time,
        "ApprovalTime": assignment.approval_time,
        "RejectionTime": assignment.rejection_time,
        "RequesterFeedback": assignment.requester_feedback,
    }
    data.update({key: value for key, value in optional.items() if value})
    return data


def qualification_type_dict(qtype: QualificationType) -> dict[str, Any]:
    data: dict[str, Any] = {
        "QualificationTypeId": qtype.qualification_type_id,
        "CreationTime": qtype.created_at,
        "Name": qtype.name,
        "Description": qtype.description,
        "Keywords": qtype.keywords,
        "QualificationTypeStatus": qtype.status,
        "IsRequestable": qtype.is_requestable,
        "AutoGranted": qtype.auto_granted,
    }
    if qtype.test:
        data["Test"] = qtype.test
        data["TestDurationInSeconds"] = qtype.test_duration
    if qtype.answer_key:
        data["AnswerKey"] = qtype.answer_key
    if qtype.retry_delay is not None:
        data["RetryDelayInSeconds"] = qtype.retry_delay
    if qtype.auto_granted:
        data["AutoGrantedValue"] = qtype.auto_granted_value
    return data


def _encode_token(last_pk: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_pk}).encode()).decode()


def _decode_token(token: str) -> int:
    try:
        after = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except (ValueError, KeyError, TypeError):
        raise errors.invalid("NextToken", "is not a token this service returned") from None
    if not isinstance(after, int):
        raise errors.invalid("NextToken", "is not a token this service returned")
    return after


def paginate(queryset: QuerySet, params: dict) -> tuple[list, dict[str, Any]]:
    """One page of `queryset` by ascending pk: (items, {"NumResults", "NextToken"?})."""
    size = params.get("MaxResults") or DEFAULT_PAGE_SIZE
    token = params.get("NextToken")
    if token:
        queryset = queryset.filter(pk__gt=_decode_token(token))
    items = list(queryset.order_by("pk")[: size + 1])
    meta: dict[str, Any] = {}
    if len(items) > size:
        items = items[:size]
        meta["NextToken"] = _encode_token(items[-1].pk)
    meta["NumResults"] = len(items)
    return items, meta


def token_find(ctx: Context, kind: str, token: str | None) -> RequestToken | None:
    """The still-valid (24 h of emulator time) earlier use of a UniqueRequestToken."""
    if not token:
        return None
    found = RequestToken.objects.filter(customer=ctx.customer, kind=kind, token=token).first()
    if found is None:
        return None
    if found.created_at <= ctx.now - timedelta(seconds=rules.TOKEN_TTL_SECONDS):
        found.delete()
        return None
    return found


def token_store(ctx: Context, kind: str, token: str | None, object_id: str) -> None:
    if token:
        RequestToken.objects.create(
            customer=ctx.customer,
            kind=kind,
            token=token,
            object_id=object_id,
            request_id=ctx.request_id,
            created_at=ctx.now,
        )
