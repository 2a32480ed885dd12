"""Reconciliation of the bonus payments: ListBonusPayments read into the payment mirror."""

from __future__ import annotations

from collections import Counter

from django.utils import timezone

from apps.mturk.gateway import Gateway
from apps.requesters.models import Requester
from apps.review.models import BonusPayment
from apps.review.upserts import bonus_payment_upsert_from_api


def bonus_payments_sync(*, requester: Requester, gateway: Gateway, changes: Counter) -> None:
    """Read the payments of every HIT we know had a bonus (a full sync's step)."""
    hit_ids = (
        BonusPayment.objects.filter(requester=requester)
        .exclude(hit_mturk_id="")
        .values_list("hit_mturk_id", flat=True)
    )
    changes["bonuses_read"] += bonuses_read_for_hits(
        requester=requester, gateway=gateway, hit_ids=set(hit_ids)
    )


def bonuses_read_for_hits(*, requester: Requester, gateway: Gateway, hit_ids) -> int:
    """Read ListBonusPayments (every page) for each of these HITs into the mirror; returns how
    many payments MTurk listed."""
    read = 0
    for hit_id in sorted(set(hit_ids)):
        fetched_at = timezone.now()
        for data in gateway.paginate("list_bonus_payments", HITId=hit_id):
            bonus_payment_upsert_from_api(
                requester=requester, hit_id=hit_id, data=data, fetched_at=fetched_at
            )
            read += 1
    return read
