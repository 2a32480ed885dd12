"""Write MTurk's qualification payloads into the mirror."""

from __future__ import annotations

from apps.hits.upserts import jsonable
from apps.qualifications.models import QualificationScore, QualificationType
from apps.requesters.models import Requester


def qualification_type_upsert_from_api(
    *, requester: Requester, data: dict, fetched_at
) -> QualificationType:
    fields = {
        "name": data.get("Name", "")[:255],
        "description": data.get("Description", ""),
        "keywords": data.get("Keywords", "")[:1000],
        "status": data.get("QualificationTypeStatus", "Active"),
        "is_requestable": bool(data.get("IsRequestable", True)),
        "auto_granted": bool(data.get("AutoGranted", False)),
        "auto_granted_value": data.get("AutoGrantedValue"),
        "retry_delay": data.get("RetryDelayInSeconds"),
        "test": data.get("Test", "") or "",
        "answer_key": data.get("AnswerKey", "") or "",
        "test_duration": data.get("TestDurationInSeconds"),
        "created_at_mturk": data.get("CreationTime"),
        "gone_at": None,
        "raw": jsonable(data),
        "synced_at": fetched_at,
    }
    qtype, _ = QualificationType.objects.update_or_create(
        requester=requester, mturk_id=data["QualificationTypeId"], defaults=fields
    )
    return qtype


def qualification_score_upsert_from_api(
    *, requester: Requester, qtype: QualificationType, data: dict, fetched_at
) -> QualificationScore:
    score, _ = QualificationScore.objects.update_or_create(
        qualification_type=qtype,
        worker_id=data["WorkerId"],
        defaults={
            "requester": requester,
            "value": data.get("IntegerValue"),
            "locale": jsonable(data.get("LocaleValue") or {}),
            "status": data.get("Status", "Granted"),
            "granted_at": data.get("GrantTime"),
            "raw": jsonable(data),
            "synced_at": fetched_at,
        },
    )
    return score
