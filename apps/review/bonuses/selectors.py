"""Reads of the bonus payments: a batch's (with their totals), a worker's, and the workers list's
sums.

A payment belongs to a batch when its HIT carries the batch's launch key (`HIT.batch_key`);
payments recorded without a HIT id (an uploaded bonus CSV) are found by their assignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from apps.batches.models import Batch
from apps.hits.models import HIT, Assignment
from apps.mturk import fees
from apps.requesters.models import Requester
from apps.review.models import BonusPayment
from apps.workers.models import Worker

_MONEY = DecimalField(max_digits=12, decimal_places=2)
# The payments that count against a reviewer's cap on an assignment: paid, or still being paid.
CAPPED_STATUSES = (BonusPayment.Status.SENT, BonusPayment.Status.PENDING)


def bonus_totals_by_assignment(requester: Requester, assignment_ids) -> dict[str, Decimal]:
    """What this account has paid or is paying in bonuses on each of these assignments (by
    MTurk id; those with none are left out), in one query."""
    rows = (
        BonusPayment.objects.filter(
            requester=requester,
            assignment_mturk_id__in=list(assignment_ids),
            status__in=CAPPED_STATUSES,
        )
        .order_by()
        .values_list("assignment_mturk_id")
        .annotate(total=Sum("amount"))
    )
    return {
        assignment_id: Decimal(total).quantize(Decimal("0.01")) for assignment_id, total in rows
    }


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


def worker_bonuses(requester: Requester, worker_id: str) -> QuerySet[BonusPayment]:
    """A worker's bonus payments on this account, newest first."""
    return BonusPayment.objects.filter(requester=requester, worker_id=worker_id).order_by(
        "-created_at"
    )


def workers_with_bonuses(workers: QuerySet[Worker], requester: Requester) -> QuerySet[Worker]:
    """The workers with `bonuses`: what they were paid in bonuses (sent), by subquery (the list
    stays one query)."""
    paid = (
        BonusPayment.objects.filter(
            requester=requester, worker_id=OuterRef("worker_id"), status=BonusPayment.Status.SENT
        )
        .values("worker_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return workers.annotate(
        bonuses=Coalesce(
            Subquery(paid, output_field=_MONEY), Value(Decimal("0")), output_field=_MONEY
        )
    )
