"""Qualification types, their scores and requests, and worker groups, written through MTurk."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone

from apps.audit.services import audit_record
from apps.hits.models import HIT, Assignment, HITType
from apps.hits.upserts import jsonable
from apps.mturk.errors import MTurkError
from apps.mturk.ids import worker_id_clean
from apps.qualifications.models import (
    QualificationRequest,
    QualificationScore,
    QualificationType,
)
from apps.qualifications.testxml import qualification_test_check
from apps.qualifications.upserts import (
    qualification_score_upsert_from_api,
    qualification_type_upsert_from_api,
)
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require, requester_gateway
from mturkdash.csvupload import upload_text

MAX_CSV_BYTES = 5 * 1024 * 1024


def test_settings_check(data: dict) -> None:
    """Refuse test settings MTurk would refuse (no time limit, a test with auto-grant, XML that
    breaks the schema's rules, a key that does not fit the test), all reasons in one message."""
    check = qualification_test_check(
        test=data.get("test") or "",
        answer_key=data.get("answer_key") or "",
        test_duration=data.get("test_duration"),
        auto_granted=bool(data.get("auto_granted")),
    )
    if check.errors:
        raise ValidationError(check.errors)


def _params(data: dict) -> dict:
    params = {
        "Description": data["description"],
        "QualificationTypeStatus": data.get("status") or "Active",
    }
    if data.get("retry_delay") is not None:
        params["RetryDelayInSeconds"] = int(data["retry_delay"])
    if data.get("test"):
        params["Test"] = data["test"]
        params["TestDurationInSeconds"] = int(data["test_duration"])
        if data.get("answer_key"):
            params["AnswerKey"] = data["answer_key"]
    # Sent even when false: an update that leaves it out keeps MTurk's previous setting.
    params["AutoGranted"] = bool(data.get("auto_granted"))
    if params["AutoGranted"] and data.get("auto_granted_value") is not None:
        params["AutoGrantedValue"] = int(data["auto_granted_value"])
    return params


def qualification_type_create(
    *, membership: Membership, actor, data: dict, group: str = ""
) -> QualificationType:
    membership_require(membership, Action.QUALIFICATIONS)
    test_settings_check(data)
    params = {"Name": data["name"], **_params(data)}
    if data.get("keywords"):
        params["Keywords"] = data["keywords"]
    response = requester_gateway(membership.requester).call("create_qualification_type", **params)
    qtype = qualification_type_upsert_from_api(
        requester=membership.requester,
        data=response["QualificationType"],
        fetched_at=timezone.now(),
    )
    if group:
        QualificationType.objects.filter(pk=qtype.pk).update(group=group)
        qtype.group = group
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="qualification.create",
        target_type="qualification_type",
        target_id=qtype.mturk_id,
        details={"name": qtype.name, "group": group},
    )
    return qtype


def qualification_type_update(
    *, membership: Membership, actor, qtype: QualificationType, data: dict
) -> QualificationType:
    membership_require(membership, Action.QUALIFICATIONS)
    test_settings_check(data)
    if qtype.status == "Disposing":
        raise ValidationError("This type is deleted: MTurk is disposing of it.")
    if qtype.test and not data.get("test"):
        raise ValidationError(
            "MTurk cannot take the test off a type: create another type without a test."
        )
    if qtype.retry_delay is not None and data.get("retry_delay") is None:
        raise ValidationError(
            "MTurk cannot turn retries off once they are allowed: give a retry delay "
            "(a long one keeps retries rare)."
        )
    params = {"QualificationTypeId": qtype.mturk_id, **_params(data)}
    response = requester_gateway(membership.requester).call("update_qualification_type", **params)
    updated = qualification_type_upsert_from_api(
        requester=membership.requester,
        data=response["QualificationType"],
        fetched_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="qualification.update",
        target_type="qualification_type",
        target_id=qtype.mturk_id,
        details={k: v for k, v in params.items() if k not in {"Test", "AnswerKey"}},
    )
    return updated


def qualification_type_delete(*, membership: Membership, actor, qtype: QualificationType) -> None:
    """MTurk disposes of a deleted type over time; until it is gone it shows as Disposing."""
    membership_require(membership, Action.QUALIFICATIONS)
    requester_gateway(membership.requester).call(
        "delete_qualification_type", QualificationTypeId=qtype.mturk_id
    )
    QualificationType.objects.filter(pk=qtype.pk).update(status="Disposing")
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="qualification.delete",
        target_type="qualification_type",
        target_id=qtype.mturk_id,
        details={"name": qtype.name},
    )


def qualification_request_accept(
    *, membership: Membership, actor, request: QualificationRequest, value: int | None
) -> None:
    membership_require(membership, Action.QUALIFICATIONS)
    params = {"QualificationRequestId": request.mturk_id}
    if value is not None:
        params["IntegerValue"] = int(value)
    requester_gateway(membership.requester).call("accept_qualification_request", **params)
    QualificationRequest.objects.filter(pk=request.pk).update(status="Accepted")
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="qualification.request.accept",
        target_type="worker",
        target_id=request.worker_id,
        details={"type": request.qualification_type.mturk_id, "value": value},
    )


def qualification_request_reject(
    *, membership: Membership, actor, request: QualificationRequest, reason: str
) -> None:
    membership_require(membership, Action.QUALIFICATIONS)
    params = {"QualificationRequestId": request.mturk_id}
    if reason:
        params["Reason"] = reason
    requester_gateway(membership.requester).call("reject_qualification_request", **params)
    QualificationRequest.objects.filter(pk=request.pk).update(status="Rejected")
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="qualification.request.reject",
        target_type="worker",
        target_id=request.worker_id,
        details={"type": request.qualification_type.mturk_id, "reason": reason},
    )


def qualification_scores_refresh(*, membership: Membership, qtype: QualificationType) -> int:
    """Read one type's scores from MTurk now: those its test or auto-grant gave since the last
    full sync, and revocations made elsewhere. Returns how many workers hold it."""
    membership_require(membership, Action.SYNC)
    fetched_at = timezone.now()
    seen = set()
    for data in requester_gateway(membership.requester).paginate(
        "list_workers_with_qualification_type", QualificationTypeId=qtype.mturk_id
    ):
        qualification_score_upsert_from_api(
            requester=membership.requester, qtype=qtype, data=data, fetched_at=fetched_at
        )
        seen.add(data["WorkerId"])
    QualificationScore.objects.filter(qualification_type=qtype, status="Granted").exclude(
        worker_id__in=seen
    ).update(status="Revoked", synced_at=fetched_at)
    return len(seen)


@dataclass
class BulkResult:
    applied: int = 0
    errors: list[dict] = field(default_factory=list)


def scores_csv_apply(
    *, membership: Membership, actor, qtype: QualificationType, upload
) -> BulkResult:
    """Grant scores from a CSV with WorkerId and Value columns; every bad row is reported by number."""
    membership_require(membership, Action.QUALIFICATIONS)
    text = upload_text(upload, max_bytes=MAX_CSV_BYTES)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not {"WorkerId", "Value"} <= set(reader.fieldnames or []):
        raise ValidationError("The file needs a WorkerId and a Value column.")
    result = BulkResult()
    for number, row in enumerate(reader, start=2):
        try:
            worker_id = worker_id_clean(row.get("WorkerId", ""))
            raw_value = (row.get("Value") or "").strip()
            if not raw_value.lstrip("-").isdigit():
                raise ValidationError(f"Value {raw_value!r} is not a whole number.")
            worker_score_set(
                membership=membership,
                actor=actor,
                worker_id=worker_id,
                qualification_type=qtype,
                value=int(raw_value),
            )
            result.applied += 1
        except ValidationError as exc:
            result.errors.append({"row": number, "error": " ".join(exc.messages)})
        except Exception as exc:  # an MTurk refusal for one worker does not stop the rest
            result.errors.append({"row": number, "error": str(exc)})
    return result


def hits_requiring_each(requester) -> dict[str, int]:
    """Qualification type id -> live HITs that require it, for all of an account's types at once
    (requirements are JSON on the HIT type, so they are read once and counted here)."""
    live = dict(
        HIT.objects.filter(requester=requester, gone_at__isnull=True, hit_type__isnull=False)
        .values_list("hit_type_id")
        .annotate(n=Count("id"))
    )
    counts: dict[str, int] = {}
    for hit_type_id, requirements in HITType.objects.filter(requester=requester).values_list(
        "pk", "qualification_requirements"
    ):
        for type_id in {r.get("QualificationTypeId") for r in requirements or []}:
            counts[type_id] = counts.get(type_id, 0) + live.get(hit_type_id, 0)
    return counts


def hits_requiring(qtype: QualificationType) -> int:
    return hits_requiring_each(qtype.requester).get(qtype.mturk_id, 0)


def group_add_workers(
    *, membership: Membership, actor, qtype: QualificationType, worker_ids: list[str]
) -> BulkResult:
    """Put workers in a group (score 1 on its type). Granting is idempotent at MTurk."""
    result = BulkResult()
    for worker_id in sorted(set(worker_ids)):
        try:
            worker_score_set(
                membership=membership,
                actor=actor,
                worker_id=worker_id,
                qualification_type=qtype,
                value=1,
            )
            result.applied += 1
        except ValidationError as exc:
            result.errors.append({"worker": worker_id, "error": " ".join(exc.messages)})
        except MTurkError as exc:  # one refusal does not stop the others; each is reported
            result.errors.append({"worker": worker_id, "error": str(exc)})
    return result


def workers_of_hit_type(*, requester, hit_type_mturk_id: str) -> list[str]:
    return sorted(
        set(
            Assignment.objects.filter(
                requester=requester, hit__hit_type_mturk_id=hit_type_mturk_id
            ).values_list("worker_id", flat=True)
        )
    )


def group_requirement(qtype: QualificationType) -> dict:
    """The requirement a project adds to use the group: a soft block, or an include list."""
    comparator = "DoesNotExist" if qtype.group == "exclude" else "Exists"
    return {
        "QualificationTypeId": qtype.mturk_id,
        "Comparator": comparator,
        "ActionsGuarded": "DiscoverPreviewAndAccept",
    }


def workers_of_batch(batch) -> list[str]:
    return sorted(
        set(
            Assignment.objects.filter(hit__batch_rows__batch=batch).values_list(
                "worker_id", flat=True
            )
        )
    )


# --- one worker's score -------------------------------------------------------------------


def worker_score_set(
    *,
    membership: Membership,
    actor,
    worker_id: str,
    qualification_type: QualificationType,
    value: int | None,
    notify: bool = False,
) -> QualificationScore:
    """Grant or change a worker's score on one of the account's qualification types."""
    membership_require(membership, Action.QUALIFICATIONS)
    worker_id = worker_id_clean(worker_id)
    params = {
        "QualificationTypeId": qualification_type.mturk_id,
        "WorkerId": worker_id,
        "SendNotification": notify,
    }
    if value is not None:
        params["IntegerValue"] = int(value)
    requester_gateway(membership.requester).call("associate_qualification_with_worker", **params)
    score, _ = QualificationScore.objects.update_or_create(
        qualification_type=qualification_type,
        worker_id=worker_id,
        defaults={
            "requester": membership.requester,
            "value": value,
            "status": "Granted",
            "granted_at": timezone.now(),
            "raw": jsonable(params),
            "synced_at": timezone.now(),
        },
    )
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="qualification.grant",
        target_type="worker",
        target_id=worker_id,
        details={
            "type": qualification_type.mturk_id,
            "name": qualification_type.name,
            "value": value,
        },
    )
    return score


def worker_score_revoke(
    *,
    membership: Membership,
    actor,
    worker_id: str,
    qualification_type: QualificationType,
    reason: str = "",
) -> None:
    membership_require(membership, Action.QUALIFICATIONS)
    worker_id = worker_id_clean(worker_id)
    params = {"QualificationTypeId": qualification_type.mturk_id, "WorkerId": worker_id}
    if reason:
        params["Reason"] = reason
    requester_gateway(membership.requester).call("disassociate_qualification_from_worker", **params)
    QualificationScore.objects.filter(
        qualification_type=qualification_type, worker_id=worker_id
    ).update(status="Revoked", synced_at=timezone.now())
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="qualification.revoke",
        target_type="worker",
        target_id=worker_id,
        details={
            "type": qualification_type.mturk_id,
            "name": qualification_type.name,
            "reason": reason,
        },
    )
