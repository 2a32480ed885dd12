"""A batch's bonus payments: the list and its totals, and a refresh from ListBonusPayments.

A payment belongs to a batch when its HIT carries the batch's launch key (`HIT.batch_key`);
payments recorded without a HIT id (an uploaded bonus CSV) are found by their assignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from apps.audit.services import audit_record
from apps.batches.models import Batch
from apps.hits.models import HIT, Assignment
from apps.mturk import fees
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require, requester_gateway
from apps.review.bonus_sync import bonuses_read_for_hits
from apps.review.models import BonusPayment


def batch_bonuses(batch: Batch) -> QuerySet[BonusPayment]:
    """The bonus payments of the batch's HITs, newest first."""
    hits = HIT.objects.filter(requester=batch.requester, batch_key=batch.launch_key)
    assignments = Assignment.objects.filter(requester=batch.requester, batch_key=batch.launch_key)
    return (
        BonusPayment.objects.filter(requester=batch.requester)
        .filter(
            Q(hit_mturk_id__in=hits.values("mturk_id"))
            | Q(hit_mturk_id="", assignment_mturk_id__in=assignments.values("mturk_id"))
        )
        .order_by("-created_at", "-pk")
    )


def fees_attach(payments) -> list[BonusPayment]:
    """Give each payment its MTurk fee (`fee`), for display."""
    payments = list(payments)
    for payment in payments:
        payment.fee = fees.bonus_fee(payment.amount)
    return payments


@dataclass
class BonusTotals:
    count: int
    paid: Decimal
    paid_fees: Decimal
    pending: Decimal
    failed: int

    @property
    def paid_total(self) -> Decimal:
        return self.paid + self.paid_fees


def bonus_totals(payments: QuerySet[BonusPayment]) -> BonusTotals:
    """Sums by status in one query; MTurk's fee is per payment (rounded, at least a cent), so
    it is added up per distinct amount."""
    totals = BonusTotals(
        count=0, paid=Decimal("0"), paid_fees=Decimal("0"), pending=Decimal("0"), failed=0
    )
    rows = payments.order_by().values_list("status", "amount").annotate(n=Count("pk"))
    for status, amount, n in rows:
        totals.count += n
        if status == BonusPayment.Status.SENT:
            totals.paid += amount * n
            totals.paid_fees += fees.bonus_fee(amount) * n
        elif status == BonusPayment.Status.PENDING:
            totals.pending += amount * n
        else:
            totals.failed += n
    return totals


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
