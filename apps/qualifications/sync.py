"""Reconciliation of the qualifications' own objects: the account's qualification types (with
every worker's score on a full sync) and the qualification requests waiting for a decision."""

from __future__ import annotations

from collections import Counter

from django.utils import timezone

from apps.hits.upserts import jsonable
from apps.mturk.gateway import Gateway
from apps.qualifications.models import QualificationRequest, QualificationScore, QualificationType
from apps.qualifications.upserts import (
    qualification_score_upsert_from_api,
    qualification_type_upsert_from_api,
)
from apps.requesters.models import Requester


def qualification_types_sync(
    *, requester: Requester, gateway: Gateway, changes: Counter, full: bool
) -> None:
    """Mirror the types the account owns; with `full`, every worker's score on each of them."""
    fetched_at = timezone.now()
    seen = set()
    for data in gateway.paginate(
        "list_qualification_types", MustBeRequestable=False, MustBeOwnedByCaller=True
    ):
        qtype = qualification_type_upsert_from_api(
            requester=requester, data=data, fetched_at=fetched_at
        )
        seen.add(qtype.mturk_id)
        if full:
            _scores_sync(requester=requester, gateway=gateway, changes=changes, qtype=qtype)
    changes["qualification_types_gone"] += (
        QualificationType.objects.filter(requester=requester, gone_at__isnull=True)
        .exclude(mturk_id__in=seen)
        .update(gone_at=fetched_at)
    )


def _scores_sync(
    *, requester: Requester, gateway: Gateway, changes: Counter, qtype: QualificationType
) -> None:
    fetched_at = timezone.now()
    seen = set()
    for data in gateway.paginate(
        "list_workers_with_qualification_type", QualificationTypeId=qtype.mturk_id
    ):
        seen.add(data["WorkerId"])
        qualification_score_upsert_from_api(
            requester=requester, qtype=qtype, data=data, fetched_at=fetched_at
        )
        changes["scores_read"] += 1
    changes["scores_revoked"] += (
        QualificationScore.objects.filter(qualification_type=qtype, status="Granted")
        .exclude(worker_id__in=seen)
        .update(status="Revoked", synced_at=fetched_at)
    )


def qualification_requests_sync(
    *, requester: Requester, gateway: Gateway, changes: Counter
) -> None:
    """Mirror the pending requests for the account's types; those MTurk no longer lists were
    decided elsewhere."""
    fetched_at = timezone.now()
    types = {q.mturk_id: q for q in QualificationType.objects.filter(requester=requester)}
    seen = set()
    for data in gateway.paginate("list_qualification_requests"):
        qtype = types.get(data.get("QualificationTypeId"))
        if qtype is None:
            continue
        seen.add(data["QualificationRequestId"])
        QualificationRequest.objects.update_or_create(
            requester=requester,
            mturk_id=data["QualificationRequestId"],
            defaults={
                "qualification_type": qtype,
                "worker_id": data.get("WorkerId", ""),
                "test": data.get("Test", "") or "",
                "answer": data.get("Answer", "") or "",
                "submitted_at": data.get("SubmitTime"),
                "raw": jsonable(data),
                "synced_at": fetched_at,
            },
        )
    changes["requests_resolved"] += (
        QualificationRequest.objects.filter(requester=requester, status="Pending")
        .exclude(mturk_id__in=seen)
        .update(status="Resolved", synced_at=fetched_at)
    )
    changes["requests_pending"] += len(seen)
