"""Reconciliation of the bonus payments: ListBonusPayments read into the payment mirror, for
every HIT of the account with a bonus (a full sync's step) or for one batch (its Refresh)."""

from __future__ import annotations

from collections import Counter

from django.utils import timezone

from apps.audit.services import audit_record
from apps.batches.models import Batch
from apps.hits.models import Assignment
from apps.mturk.gateway import Gateway
from apps.requesters.models import Membership, Requester
from apps.requesters.roles import Action
from apps.requesters.services import membership_require, requester_gateway
from apps.review.bonuses.selectors import batch_bonuses
from apps.review.bonuses.upserts import bonus_payment_upsert_from_api
from apps.review.models import BonusPayment


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


def batch_bonuses_refresh(*, membership: Membership, actor, batch: Batch) -> int:
    """Read ListBonusPayments for the batch's HITs that have bonuses and store what MTurk lists
    (payments made elsewhere appear, ours are confirmed). Returns how many payments were listed.
    Raises MTurkError when MTurk cannot be read; what was read before stays stored."""
    membership_require(membership, Action.REVIEW)
    payments = batch_bonuses(batch)
    hit_ids = set(payments.exclude(hit_mturk_id="").values_list("hit_mturk_id", flat=True))
    without_hit = payments.filter(hit_mturk_id="").values("assignment_mturk_id")
    hit_ids |= set(
        Assignment.objects.filter(requester=batch.requester, mturk_id__in=without_hit).values_list(
            "hit__mturk_id", flat=True
        )
    )
    read = 0
    if hit_ids:
        read = bonuses_read_for_hits(
            requester=batch.requester, gateway=requester_gateway(batch.requester), hit_ids=hit_ids
        )
    audit_record(
        actor=actor,
        requester=batch.requester,
        action="batch.bonuses.refresh",
        target_type="batch",
        target_id=batch.pk,
        details={"hits": len(hit_ids), "listed": read},
    )
    return read
