"""Write MTurk's bonus payment listings into the mirror."""

from __future__ import annotations

from decimal import Decimal

from apps.hits.upserts import jsonable
from apps.requesters.models import Requester
from apps.review.models import BonusPayment


def bonus_payment_upsert_from_api(
    *, requester: Requester, hit_id: str, data: dict, fetched_at
) -> BonusPayment:
    """Match a listed payment to ours (same assignment, worker, amount), or record it as paid elsewhere."""
    amount = Decimal(data["BonusAmount"])
    match = (
        BonusPayment.objects.filter(
            requester=requester,
            assignment_mturk_id=data["AssignmentId"],
            worker_id=data["WorkerId"],
            amount=amount,
        ).filter(granted_at=data.get("GrantTime"))
        | BonusPayment.objects.filter(
            requester=requester,
            assignment_mturk_id=data["AssignmentId"],
            worker_id=data["WorkerId"],
            amount=amount,
            granted_at__isnull=True,
        )
    ).first()
    fields = {
        "status": BonusPayment.Status.SENT,
        "granted_at": data.get("GrantTime"),
        "raw": jsonable(data),
        "synced_at": fetched_at,
    }
    if match:
        BonusPayment.objects.filter(pk=match.pk).update(**fields)
        return match
    return BonusPayment.objects.create(
        requester=requester,
        worker_id=data["WorkerId"],
        assignment_mturk_id=data["AssignmentId"],
        hit_mturk_id=hit_id,
        amount=amount,
        reason=data.get("Reason", ""),
        **fields,
    )
