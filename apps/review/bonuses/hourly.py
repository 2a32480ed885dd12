"""What a batch's workers were paid an hour: the rewards of its approved assignments and the
bonuses paid on them (top-ups included), over the work time measured on them
(`apps.batches.pay.WORK_TIME`: submit - accept, at most the assignment duration).

Only approved assignments with both times count: a rejected one paid nothing, a submitted one
is not paid yet. The batches list gets the figures by subqueries in its one query
(`batches_with_pay`), so its query count does not grow with its rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    DurationField,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
)

from apps.batches.models import Batch
from apps.batches.pay.rewards import CENT, WORK_TIME, seconds_of
from apps.batches.selectors import TIMED
from apps.hits.models import Assignment, AssignmentStatus
from apps.review.models import BonusPayment

_MONEY = DecimalField(max_digits=14, decimal_places=2)


def _approved_timed(requester, launch_key) -> QuerySet[Assignment]:
    # An empty launch key (a draft) must match nothing, not every assignment without a key.
    return (
        Assignment.objects.filter(requester=requester, batch_key=launch_key)
        .exclude(batch_key="")
        .filter(TIMED, status=AssignmentStatus.APPROVED)
    )


@dataclass
class HourlyPay:
    assignments: int
    rewards: Decimal
    bonuses: Decimal
    seconds: float
    target: Decimal  # the account's target hourly rate

    @property
    def hourly(self) -> Decimal | None:
        if not self.assignments or self.seconds <= 0:
            return None
        return ((self.rewards + self.bonuses) * 3600 / Decimal(str(self.seconds))).quantize(CENT)

    @property
    def under(self) -> bool:
        return self.hourly is not None and self.hourly < self.target


def _pay(target: Decimal, assignments, rewards, bonuses, duration) -> HourlyPay:
    return HourlyPay(
        assignments=assignments or 0,
        rewards=Decimal(rewards or 0).quantize(CENT),
        bonuses=Decimal(bonuses or 0).quantize(CENT),
        seconds=seconds_of(duration),
        target=target,
    )


def batch_hourly_pay(batch: Batch) -> HourlyPay:
    """The batch's effective hourly pay, in two queries."""
    assignments = _approved_timed(batch.requester, batch.launch_key)
    sums = assignments.aggregate(
        n=Count("id"), rewards=Sum("hit__reward"), work=Sum(WORK_TIME, output_field=DurationField())
    )
    bonuses = BonusPayment.objects.filter(
        requester=batch.requester,
        status=BonusPayment.Status.SENT,
        assignment_mturk_id__in=assignments.values("mturk_id"),
    ).aggregate(total=Sum("amount"))["total"]
    return _pay(
        batch.requester.target_hourly_rate, sums["n"], sums["rewards"], bonuses, sums["work"]
    )


def batches_with_pay(batches: QuerySet[Batch]) -> QuerySet[Batch]:
    """The batches, each annotated with `pay_assignments`, `pay_rewards`, `pay_bonuses` and
    `pay_work` by subqueries (one query for the whole list); read them with `hourly_pay_of`."""
    inner = _approved_timed(OuterRef("requester"), OuterRef("launch_key"))

    def summed(aggregate, output):
        return Subquery(
            inner.order_by().values("batch_key").annotate(total=aggregate).values("total")[:1],
            output_field=output,
        )

    paid = (
        BonusPayment.objects.filter(
            requester=OuterRef("requester"),
            status=BonusPayment.Status.SENT,
            assignment_mturk_id__in=_approved_timed(
                OuterRef(OuterRef("requester")), OuterRef(OuterRef("launch_key"))
            ).values("mturk_id"),
        )
        .order_by()
        .values("requester")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )
    return batches.annotate(
        pay_assignments=summed(Count("id"), IntegerField()),
        pay_rewards=summed(Sum("hit__reward"), _MONEY),
        pay_work=summed(Sum(WORK_TIME, output_field=DurationField()), DurationField()),
        pay_bonuses=Subquery(paid, output_field=_MONEY),
    )


def hourly_pay_of(batch: Batch, *, target: Decimal) -> HourlyPay:
    """The figures `batches_with_pay` annotated on a batch of the list, against the account's
    target rate."""
    return _pay(
        target,
        int(batch.pay_assignments or 0),
        batch.pay_rewards,
        batch.pay_bonuses,
        batch.pay_work,
    )
