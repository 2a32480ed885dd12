"""Write MTurk's bonus payment listings into the mirror."""

from __future__ import annotations

from decimal import Decimal

from apps.hits.upserts import jsonable
from apps.requesters.models import Requester
from apps.review.models import BonusPayment


def bonus_payment_upsert_from_api(
    *, requester: Requester, hit_id: str, data: dict, fetched_at
) -> BonusPayment:
    """Match a listed payment to ours (same assignment, worker, amount), or record it as paid elsewhere.

    MTurk gives a listed payment no id: a row that was matched before is known again by its
    GrantTime; otherwise the first of our rows never matched to a listing takes it (one we
    sent, whose own `granted_at` is only when we heard back). Listing twice adds nothing.
    """
    amount = Decimal(data["BonusAmount"])
    grant_time = jsonable(data.get("GrantTime"))
    candidates = list(
        BonusPayment.objects.filter(
            requester=requester,
            assignment_mturk_id=data["AssignmentId"],
            worker_id=data["WorkerId"],
            amount=amount,
        ).order_by("pk")
    )
    reason = data.get("Reason", "")
    match = next(
        (c for c in candidates if c.synced_at and c.raw.get("GrantTime") == grant_time), None
    ) or next(
        (
            c
            for c in sorted(candidates, key=lambda c: c.reason != reason)
            if c.synced_at is None and c.status != BonusPayment.Status.FAILED
        ),
        None,
    )
    fields = {
        "status": BonusPayment.Status.SENT,
        "granted_at": data.get("GrantTime"),
        "raw": jsonable(data),
        "synced_at": fetched_at,
    }
    if match:
        if not match.hit_mturk_id and hit_id:
            fields["hit_mturk_id"] = hit_id
        BonusPayment.objects.filter(pk=match.pk).update(**fields)
        return match
    return BonusPayment.objects.create(
        requester=requester,
        worker_id=data["WorkerId"],
        assignment_mturk_id=data["AssignmentId"],
        hit_mturk_id=hit_id,
        amount=amount,
        reason=reason,
        **fields,
    )
