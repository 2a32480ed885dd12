"""Write MTurk payloads into the mirror, one hand-written upsert per model.

Every upsert is idempotent and never moves a row backwards: a payload read before the one we
hold (`fetched_at` older than `synced_at`) is ignored, and an assignment never goes back to a
lower state (Approved never returns to Submitted), whatever order payloads arrive in.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from apps.hits.agreement import agreement_assign, agreement_refresh
from apps.hits.models import (
    ASSIGNMENT_RANK,
    HIT,
    Assignment,
    HITType,
    batch_key_from_annotation,
)
from apps.mturk.answers import parse_answers
from apps.requesters.models import Requester


def jsonable(value: Any) -> Any:
    """botocore gives datetimes; the raw payload column wants JSON."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def hit_type_upsert_from_api(*, requester: Requester, data: dict, fetched_at: datetime) -> HITType:
    """The HIT type described by a HIT payload (MTurk has no GetHITType)."""
    fields = {
        "title": data.get("Title", "")[:128],
        "description": data.get("Description", ""),
        "keywords": data.get("Keywords", "")[:1000],
        "reward": Decimal(data.get("Reward", "0")),
        "assignment_duration": int(data.get("AssignmentDurationInSeconds", 0)),
        "auto_approval_delay": int(data.get("AutoApprovalDelayInSeconds", 0)),
        "qualification_requirements": jsonable(data.get("QualificationRequirements", [])),
        "synced_at": fetched_at,
    }
    hit_type, created = HITType.objects.get_or_create(
        requester=requester, mturk_id=data["HITTypeId"], defaults=fields
    )
    if not created and (hit_type.synced_at is None or hit_type.synced_at <= fetched_at):
        changed = {
            k: v for k, v in fields.items() if getattr(hit_type, k) != v and k != "synced_at"
        }
        if changed:
            for name, value in changed.items():
                setattr(hit_type, name, value)
            hit_type.synced_at = fetched_at
            hit_type.save(update_fields=[*changed, "synced_at"])
    return hit_type


def _hit_fields(data: dict) -> dict:
    return {
        "hit_type_mturk_id": data.get("HITTypeId", ""),
        "hit_group_id": data.get("HITGroupId", ""),
        "title": data.get("Title", "")[:128],
        "status": data.get("HITStatus", ""),
        "review_status": data.get("HITReviewStatus", ""),
        "max_assignments": int(data.get("MaxAssignments", 1)),
        "available": int(data.get("NumberOfAssignmentsAvailable", 0)),
        "pending": int(data.get("NumberOfAssignmentsPending", 0)),
        "completed": int(data.get("NumberOfAssignmentsCompleted", 0)),
        "reward": Decimal(data.get("Reward", "0")),
        "created_at_mturk": data.get("CreationTime"),
        "expiration": data.get("Expiration"),
        "annotation": data.get("RequesterAnnotation", "")[:255],
        "batch_key": batch_key_from_annotation(data.get("RequesterAnnotation", "")),
    }


def hit_unchanged(hit: HIT, data: dict) -> bool:
    """Whether a listed HIT payload says nothing new about the HIT we hold."""
    if hit.gone_at is not None:
        return False
    return all(getattr(hit, name) == value for name, value in _hit_fields(data).items())


# Fields whose change means the HIT may have assignment news to read.
_NEWS_FIELDS = ("status", "review_status", "available", "pending", "completed", "max_assignments")


def hit_upsert_from_api(
    *, requester: Requester, data: dict, fetched_at: datetime, hit_type: HITType | None = None
) -> tuple[HIT, bool]:
    """Store a HIT payload. Returns the HIT and whether it may have assignment news."""
    fields = _hit_fields(data)
    raw = jsonable({k: v for k, v in data.items() if k != "Question"})
    if hit_type is None:
        hit_type = HITType.objects.filter(
            requester=requester, mturk_id=fields["hit_type_mturk_id"]
        ).first()
    fields["hit_type"] = hit_type
    try:
        hit = HIT.objects.get(requester=requester, mturk_id=data["HITId"])
    except HIT.DoesNotExist:
        try:
            with transaction.atomic():
                hit = HIT.objects.create(
                    requester=requester,
                    mturk_id=data["HITId"],
                    raw=raw,
                    synced_at=fetched_at,
                    assignments_stale=fields["completed"] > 0,
                    **fields,
                )
            return hit, hit.assignments_stale
        except IntegrityError:  # created meanwhile by another worker: update it instead
            hit = HIT.objects.get(requester=requester, mturk_id=data["HITId"])
    if hit.synced_at and hit.synced_at > fetched_at:
        return hit, False
    news = (
        any(getattr(hit, name) != fields[name] for name in _NEWS_FIELDS) or hit.gone_at is not None
    )
    if hit.batch_key != fields["batch_key"]:
        # The review queue filters assignments by their own copy of the batch key.
        Assignment.objects.filter(hit=hit).update(batch_key=fields["batch_key"])
    for name, value in fields.items():
        setattr(hit, name, value)
    hit.raw = raw
    hit.gone_at = None
    if news and hit.completed > 0:
        hit.assignments_stale = True
    updated = HIT.objects.filter(pk=hit.pk, synced_at=hit.synced_at).update(
        **fields,
        raw=raw,
        gone_at=None,
        assignments_stale=hit.assignments_stale,
        synced_at=fetched_at,
    )
    hit.synced_at = fetched_at
    return hit, bool(updated) and hit.assignments_stale


def hits_create_from_api(
    *, requester: Requester, items: list[dict], fetched_at: datetime, hit_types: dict[str, HITType]
) -> list[tuple[HIT, bool]]:
    """Insert HITs we have never seen, together (a first sync lists thousands); returns each
    with whether it may have assignment news. Falls back to one upsert each when another
    writer stored some of them meanwhile."""
    hits = []
    for data in items:
        fields = _hit_fields(data)
        hits.append(
            HIT(
                requester=requester,
                mturk_id=data["HITId"],
                raw=jsonable({k: v for k, v in data.items() if k != "Question"}),
                synced_at=fetched_at,
                assignments_stale=fields["completed"] > 0,
                hit_type=hit_types.get(fields["hit_type_mturk_id"]),
                **fields,
            )
        )
    try:
        with transaction.atomic():
            HIT.objects.bulk_create(hits)
    except IntegrityError:
        return [
            hit_upsert_from_api(
                requester=requester,
                data=data,
                fetched_at=fetched_at,
                hit_type=hit_types.get(data.get("HITTypeId", "")),
            )
            for data in items
        ]
    return [(hit, hit.assignments_stale) for hit in hits]


def _assignment_fields(data: dict) -> dict:
    parsed = parse_answers(data.get("Answer"))
    return {
        "worker_id": data.get("WorkerId", ""),
        "status": data.get("AssignmentStatus", ""),
        "accept_time": data.get("AcceptTime"),
        "submit_time": data.get("SubmitTime"),
        "auto_approval_time": data.get("AutoApprovalTime"),
        "approval_time": data.get("ApprovalTime"),
        "rejection_time": data.get("RejectionTime"),
        "deadline": data.get("Deadline"),
        "requester_feedback": data.get("RequesterFeedback", ""),
        "answer_xml": data.get("Answer", "") or "",
        "answers": parsed.answers,
        "file_answers": parsed.files,
        "task_answers": parsed.task_answers,
        "answer_error": parsed.error[:255],
    }


def assignment_upsert_from_api(
    *, hit: HIT, data: dict, fetched_at: datetime
) -> tuple[Assignment, bool]:
    """Store an assignment payload. Returns the assignment and whether anything changed."""
    fields = _assignment_fields(data)
    raw = jsonable({k: v for k, v in data.items() if k != "Answer"})
    try:
        assignment = Assignment.objects.get(
            requester_id=hit.requester_id, mturk_id=data["AssignmentId"]
        )
    except Assignment.DoesNotExist:
        try:
            with transaction.atomic():
                assignment = Assignment.objects.create(
                    requester_id=hit.requester_id,
                    mturk_id=data["AssignmentId"],
                    hit=hit,
                    batch_key=hit.batch_key,
                    raw=raw,
                    synced_at=fetched_at,
                    **fields,
                )
            return assignment, True
        except IntegrityError:
            assignment = Assignment.objects.get(
                requester_id=hit.requester_id, mturk_id=data["AssignmentId"]
            )
    if not assignment_may_move(assignment, fields["status"], fetched_at):
        return assignment, False
    if all(getattr(assignment, k) == v for k, v in fields.items()):
        return assignment, False
    updated = Assignment.objects.filter(
        pk=assignment.pk, status=assignment.status, synced_at=assignment.synced_at
    ).update(**fields, raw=raw, synced_at=fetched_at)
    if not updated:  # someone wrote in between: decide again on what they wrote
        return assignment_upsert_from_api(hit=hit, data=data, fetched_at=fetched_at)
    for name, value in fields.items():
        setattr(assignment, name, value)
    assignment.synced_at = fetched_at
    return assignment, True


def _new_assignment(hit: HIT, data: dict, fetched_at: datetime) -> Assignment:
    """An unsaved row for an assignment payload we have never stored."""
    return Assignment(
        requester_id=hit.requester_id,
        hit=hit,
        batch_key=hit.batch_key,
        mturk_id=data["AssignmentId"],
        raw=jsonable({k: v for k, v in data.items() if k != "Answer"}),
        synced_at=fetched_at,
        **_assignment_fields(data),
    )


def assignments_upsert_for_hit(
    *, hit: HIT, items: list[dict], fetched_at: datetime
) -> list[Assignment]:
    """Store one HIT's listed assignments; returns those that are new or changed.

    New ones are inserted together (the common case of a first sync); known ones go through
    `assignment_upsert_from_api` and its forward-only rules.
    """
    known = set(
        Assignment.objects.filter(
            hit=hit, mturk_id__in=[d["AssignmentId"] for d in items]
        ).values_list("mturk_id", flat=True)
    )
    fresh = [
        _new_assignment(hit, data, fetched_at)
        for data in items
        if data["AssignmentId"] not in known
    ]
    changed: list[Assignment] = []
    inserted: set[str] = set()
    if fresh and not known:
        # Every assignment of the HIT is new (a first sync): their agreement is known now.
        agreement_assign(fresh)
    if fresh:
        try:
            with transaction.atomic():
                Assignment.objects.bulk_create(fresh)
            changed.extend(fresh)
            inserted = {a.mturk_id for a in fresh}
        except IntegrityError:  # another writer got some of them first: one by one then
            pass
    for data in items:
        if data["AssignmentId"] not in inserted:
            assignment, was_changed = assignment_upsert_from_api(
                hit=hit, data=data, fetched_at=fetched_at
            )
            if was_changed:
                changed.append(assignment)
    if known and changed:
        agreement_refresh(hit)
    return changed


def assignments_upsert_for_hits(
    *, listings: list[tuple[HIT, list[dict]]], fetched_at: datetime
) -> list[Assignment]:
    """Store several HITs' listed assignments together; returns those new or changed.

    HITs whose assignments are all new (a first sync) are inserted in one statement; the others
    go through `assignments_upsert_for_hit` and its forward-only rules.
    """
    if not listings:
        return []
    requester_id = listings[0][0].requester_id
    ids = [data["AssignmentId"] for _, items in listings for data in items]
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        known.update(
            Assignment.objects.filter(
                requester_id=requester_id, mturk_id__in=ids[start : start + 500]
            ).values_list("mturk_id", flat=True)
        )
    all_new = [(hit, items) for hit, items in listings if not known & _ids(items)]
    others = [(hit, items) for hit, items in listings if known & _ids(items)]
    fresh: list[Assignment] = []
    for hit, items in all_new:
        rows = [_new_assignment(hit, data, fetched_at) for data in items]
        agreement_assign(rows)
        fresh.extend(rows)
    changed: list[Assignment] = []
    if fresh:
        try:
            with transaction.atomic():
                Assignment.objects.bulk_create(fresh, batch_size=500)
            changed.extend(fresh)
        except IntegrityError:  # another writer got some of them first: HIT by HIT then
            others.extend(all_new)
    for hit, items in others:
        changed.extend(assignments_upsert_for_hit(hit=hit, items=items, fetched_at=fetched_at))
    return changed


def _ids(items: list[dict]) -> set[str]:
    return {data["AssignmentId"] for data in items}


def assignment_may_move(assignment: Assignment, status: str, fetched_at: datetime) -> bool:
    """Whether a payload with `status`, read at `fetched_at`, may replace what we hold."""
    if ASSIGNMENT_RANK.get(status, 0) < ASSIGNMENT_RANK.get(assignment.status, 0):
        return False
    return not (assignment.synced_at and assignment.synced_at > fetched_at)
