"""Helpers shared by the operations: lookups scoped to the customer, serialisers, pagination
and UniqueRequestToken bookkeeping."""

from __future__ import annotations

import base64
import functools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from ..engine import fees
from ..engine.lifecycle import TOKEN_TTL_SECONDS
from ..models import HIT, Assignment, HITType, QualificationType, RequestToken
from ..wire import errors
from .context import Context

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


def _timestamp(value: datetime | str | None) -> datetime | None:
    """An aware datetime from a timestamp column read on a plain cursor (SQLite gives a naive
    UTC datetime or text, PostgreSQL an aware datetime)."""
    if value is None or (isinstance(value, datetime) and value.tzinfo is not None):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _epoch(value: datetime | str) -> float:
    """Seconds since the epoch from a timestamp column read on a plain cursor."""
    return _timestamp(value).timestamp()


@functools.cache
def _hit_page_sql() -> str:
    """One SELECT for a page of HITs joined to their types, written once from the models'
    column names. Building the same query through the ORM costs more CPU than running it."""
    hit, hit_type = HIT._meta, HITType._meta
    h = {field.name: f'h."{field.column}"' for field in hit.concrete_fields}
    t = {field.name: f't."{field.column}"' for field in hit_type.concrete_fields}
    columns = [
        h["id"],
        h["hit_id"],
        h["hit_group_id"],
        h["hit_layout_id"],
        h["question"],
        h["created_at"],
        h["expiration"],
        h["max_assignments"],
        h["requester_annotation"],
        h["status"],
        h["review_status"],
        h["number_pending"],
        h["number_completed"],
        h["hit_type"],
        t["hit_type_id"],
        t["title"],
        t["description"],
        t["keywords"],
        t["reward"],
        t["auto_approval_delay"],
        t["assignment_duration"],
        t["qualification_requirements"],
    ]
    # Identifiers come from the models' metadata; every value is a parameter.
    return (
        f'SELECT {", ".join(columns)} FROM "{hit.db_table}" h '  # noqa: S608
        f'JOIN "{hit_type.db_table}" t ON t."{hit_type.pk.column}" = {h["hit_type"]} '
        f"WHERE {h['customer']} = %s AND {h['deleted']} = %s AND {h['id']} > %s{{where}} "
        f"ORDER BY {h['id']} LIMIT %s"
    )


def hit_page(
    customer_id: int,
    params: dict,
    *,
    status: str | None = None,
    hit_type_pk: int | None = None,
    requirement_id: str | None = None,
) -> dict[str, Any]:
    """A page of the customer's live HITs for the List operations, oldest first: the hot path
    of ListHITs, read as plain rows with one query."""
    size = params.get("MaxResults") or DEFAULT_PAGE_SIZE
    after = _decode_token(params["NextToken"]) if params.get("NextToken") else 0
    where, where_params = [], []
    if status is not None:
        where.append(f' AND h."{HIT._meta.get_field("status").column}" = %s')
        where_params.append(status)
    if hit_type_pk is not None:
        where.append(f' AND h."{HIT._meta.get_field("hit_type").column}" = %s')
        where_params.append(hit_type_pk)
    if requirement_id is not None:
        where.append(f' AND t."{HITType._meta.get_field("requirement_ids").column}" LIKE %s')
        where_params.append(f"%,{requirement_id},%")
    sql = _hit_page_sql().format(where="".join(where))
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer_id, False, after, *where_params, size + 1])
        rows = cursor.fetchall()
    meta: dict[str, Any] = {}
    if len(rows) > size:
        rows = rows[:size]
        meta["NextToken"] = _encode_token(rows[-1][0])
    meta["NumResults"] = len(rows)
    # HITs of one type share its fields, read once per page.
    types: dict[int, dict[str, Any]] = {}
    return {**meta, "HITs": [_hit_row_dict(row, types) for row in rows]}


def _hit_row_dict(row: tuple, types: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """`hit_dict` of one row of `_hit_page_sql`."""
    (
        _pk,
        hit_id,
        group_id,
        layout_id,
        question,
        created_at,
        expiration,
        max_assignments,
        annotation,
        status_value,
        review_status,
        pending,
        completed,
        type_pk,
    ) = row[:14]
    shared = types.get(type_pk)
    if shared is None:
        shared = types[type_pk] = _hit_type_fields(row[14:])
    data: dict[str, Any] = {
        "HITId": hit_id,
        "HITTypeId": shared["HITTypeId"],
        "HITGroupId": group_id,
        "CreationTime": _epoch(created_at),
        "Title": shared["Title"],
        "Description": shared["Description"],
        "Question": question,
        "Keywords": shared["Keywords"],
        "HITStatus": status_value,
        "MaxAssignments": max_assignments,
        "Reward": shared["Reward"],
        "AutoApprovalDelayInSeconds": shared["AutoApprovalDelayInSeconds"],
        "Expiration": _epoch(expiration),
        "AssignmentDurationInSeconds": shared["AssignmentDurationInSeconds"],
        "QualificationRequirements": shared["QualificationRequirements"],
        "HITReviewStatus": review_status,
        "NumberOfAssignmentsPending": pending,
        "NumberOfAssignmentsAvailable": max(0, max_assignments - pending - completed),
        "NumberOfAssignmentsCompleted": completed,
    }
    if layout_id:
        data["HITLayoutId"] = layout_id
    if annotation:
        data["RequesterAnnotation"] = annotation
    return data


def _hit_type_fields(row: tuple) -> dict[str, Any]:
    type_id, title, description, keywords, reward, approval_delay, duration, requirements = row
    if isinstance(requirements, str | bytes):
        requirements = json.loads(requirements)
    return {
        "HITTypeId": type_id,
        "Title": title,
        "Description": description,
        "Keywords": keywords,
        # SQLite hands back a decimal column as a number: go through its text form.
        "Reward": fees.money(Decimal(str(reward))),
        "AutoApprovalDelayInSeconds": approval_delay,
        "AssignmentDurationInSeconds": duration,
        "QualificationRequirements": requirements,
    }


@functools.cache
def _assignment_page_sql(statuses: int) -> str:
    """A page of one HIT's assignments, found by the HIT's public id in the same query."""
    a, hit = Assignment._meta, HIT._meta
    c = {field.name: f'a."{field.column}"' for field in a.concrete_fields}
    h = {field.name: f'h."{field.column}"' for field in hit.concrete_fields}
    columns = [
        c["id"],
        c["assignment_id"],
        c["worker_id"],
        c["status"],
        c["accept_time"],
        c["deadline"],
        c["answer"],
        c["auto_approval_time"],
        c["submit_time"],
        c["approval_time"],
        c["rejection_time"],
        c["requester_feedback"],
    ]
    marks = ", ".join(["%s"] * statuses)
    # Identifiers come from the models' metadata; every value is a parameter.
    return (
        f'SELECT {", ".join(columns)} FROM "{a.db_table}" a '  # noqa: S608
        f'JOIN "{hit.db_table}" h ON h."{hit.pk.column}" = {c["hit"]} '
        f"WHERE {h['customer']} = %s AND {h['hit_id']} = %s AND {c['status']} IN ({marks}) "
        f"AND {c['id']} > %s ORDER BY {c['id']} LIMIT %s"
    )


def assignment_page(
    ctx: Context, hit_id: str, statuses: list[str], params: dict
) -> dict[str, Any] | None:
    """A page of a HIT's visible assignments read with one query, as ListAssignmentsForHIT
    answers; None when the page is empty (the caller then checks that the HIT exists)."""
    size = params.get("MaxResults") or DEFAULT_PAGE_SIZE
    after = _decode_token(params["NextToken"]) if params.get("NextToken") else 0
    with connection.cursor() as cursor:
        cursor.execute(
            _assignment_page_sql(len(statuses)),
            [ctx.customer.pk, hit_id, *statuses, after, size + 1],
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    meta: dict[str, Any] = {}
    if len(rows) > size:
        rows = rows[:size]
        meta["NextToken"] = _encode_token(rows[-1][0])
    meta["NumResults"] = len(rows)
    items = []
    for row in rows:
        (_pk, assignment_id, worker_id, status, accept, deadline, answer) = row[:7]
        data: dict[str, Any] = {
            "AssignmentId": assignment_id,
            "WorkerId": worker_id,
            "HITId": hit_id,
            "AssignmentStatus": status,
            "AcceptTime": _timestamp(accept),
            "Deadline": _timestamp(deadline),
            "Answer": answer,
        }
        auto_approval, submit, approval, rejection, feedback = row[7:]
        optional = {
            "AutoApprovalTime": _timestamp(auto_approval),
            "SubmitTime": _timestamp(submit),
            "ApprovalTime": _timestamp(approval),
            "RejectionTime": _timestamp(rejection),
            "RequesterFeedback": feedback,
        }
        data.update({key: value for key, value in optional.items() if value})
        items.append(data)
    return {**meta, "Assignments": items}


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
        "QualificationTypeStatus": qtype.status,
        "IsRequestable": qtype.is_requestable,
        "AutoGranted": qtype.auto_granted,
    }
    if qtype.keywords:  # unset members are left out, as everywhere else
        data["Keywords"] = qtype.keywords
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
    if found.created_at <= ctx.now - timedelta(seconds=TOKEN_TTL_SECONDS):
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
