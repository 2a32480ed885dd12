"""Top-ups: a bonus to every approved assignment of a batch whose reward paid under an hourly
rate for the time measured on it, of `rate * seconds / 3600 - reward`, rounded up to the cent.

Each assignment is topped up once, ever. Its payment carries a UniqueRequestToken derived from
the account and the assignment alone (`topup_token`), recorded with the `BonusPayment` before
SendBonus: a second top-up, a double click or a retried job finds the token taken and pays
nothing more, and a top-up at another rate leaves out the assignments already topped up (their
token is taken, whatever the amount was). The payments go through the bonus batch's flow
(`bulk.bonus_batch_pay_start`: the daily limit priced first, then a job calling
`services.bonus_send`, with the cap, the audit and the payment mirror).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.crypto import salted_hmac

from apps.batches.models import Batch
from apps.batches.pay.rewards import CENT, WORK_TIME, ceil_cent, seconds_of
from apps.batches.selectors import TIMED
from apps.hits.models import Assignment, AssignmentStatus
from apps.mturk import fees
from apps.requesters.models import Membership, Requester
from apps.requesters.roles import Action
from apps.requesters.services import membership_require, requester_spent_today
from apps.review.bonuses.bulk import bonus_batch_pay_start
from apps.review.models import BonusBatch, BonusPayment
from mturkdash.templatetags import duration

TOKEN_PREFIX = "topup-"
# How many of the assignments to top up the preview lists.
PREVIEW_ROWS = 10


def topup_token(*, requester_id: int, assignment_mturk_id: str) -> str:
    """The one UniqueRequestToken an assignment's top-up ever carries (an HMAC with the
    server's secret: nobody outside can make another account's)."""
    digest = salted_hmac(
        "apps.review.bonuses.topup_token",
        f"{requester_id}|{assignment_mturk_id}",
        algorithm="sha256",
    )
    return f"{TOKEN_PREFIX}{digest.hexdigest()[:40]}"


def topup_reason(rate: Decimal, seconds: float) -> str:
    return f"Top-up to ${rate:.2f}/h for the time you spent: {duration(int(seconds))} on this HIT."


@dataclass
class TopUpRow:
    assignment_mturk_id: str
    worker_id: str
    hit_mturk_id: str
    reward: Decimal
    seconds: float
    amount: Decimal

    @property
    def paid_hourly(self) -> Decimal:
        return (self.reward * 3600 / Decimal(str(self.seconds))).quantize(CENT)


@dataclass
class TopUpPreview:
    batch: Batch
    rate: Decimal
    rows: list[TopUpRow] = field(default_factory=list)
    approved: int = 0  # approved assignments with a measured time
    already: int = 0  # of them, topped up before (any rate): never again
    spent_today: Decimal = Decimal("0.00")
    daily_limit: Decimal = Decimal("0.00")

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def amounts(self) -> Decimal:
        return sum((r.amount for r in self.rows), Decimal("0.00"))

    @property
    def fees(self) -> Decimal:
        return sum((fees.bonus_fee(r.amount) for r in self.rows), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.amounts + self.fees

    @property
    def first(self) -> list[TopUpRow]:
        return self.rows[:PREVIEW_ROWS]

    @property
    def fits_daily_limit(self) -> bool:
        return self.spent_today + self.total <= self.daily_limit


def _approved(batch: Batch):
    return Assignment.objects.filter(hit__batch_rows__batch=batch).filter(
        TIMED, status=AssignmentStatus.APPROVED
    )


def topup_preview(batch: Batch, *, rate: Decimal) -> TopUpPreview:
    """Who a top-up of the batch to `rate` would pay, and how much with fees (three queries)."""
    requester: Requester = batch.requester
    approved = _approved(batch)
    topped = set(
        BonusPayment.objects.filter(
            requester=requester,
            unique_request_token__startswith=TOKEN_PREFIX,
            assignment_mturk_id__in=approved.values("mturk_id"),
        ).values_list("assignment_mturk_id", flat=True)
    )
    preview = TopUpPreview(
        batch=batch,
        rate=rate,
        already=len(topped),
        spent_today=requester_spent_today(requester),
        daily_limit=requester.daily_spend_limit,
    )
    measured = (
        approved.annotate(work=WORK_TIME)
        .order_by("submit_time", "pk")
        .values_list("mturk_id", "worker_id", "hit__mturk_id", "hit__reward", "work")
    )
    for assignment_id, worker_id, hit_id, reward, work in measured.iterator(chunk_size=2000):
        preview.approved += 1
        # Whole seconds, as MTurk states accept and submit times.
        seconds = int(seconds_of(work))
        if assignment_id in topped or seconds <= 0:
            continue
        owed = ceil_cent(rate * Decimal(str(seconds)) / Decimal(3600) - reward)
        if owed >= CENT:
            preview.rows.append(
                TopUpRow(
                    assignment_mturk_id=assignment_id,
                    worker_id=worker_id,
                    hit_mturk_id=hit_id,
                    reward=reward,
                    seconds=seconds,
                    amount=owed,
                )
            )
    return preview


def topup_start(*, membership: Membership, actor, batch: Batch, rate: Decimal) -> BonusBatch:
    """Record the top-up of the batch to `rate` as a bonus batch whose rows carry each
    assignment's `topup_token`, and start paying it as a job. Raises ValidationError when
    nothing is owed or the total would pass the account's daily spending limit (nothing is
    recorded then), PermissionDenied below a manager."""
    membership_require(membership, Action.SPEND)
    if batch.requester_id != membership.requester_id:
        raise PermissionDenied("This batch belongs to another account.")
    preview = topup_preview(batch, rate=rate)
    if not preview.rows:
        raise ValidationError(
            f"No approved assignment of this batch is owed a top-up to ${rate:.2f}/h"
            + (f" ({preview.already} topped up already)." if preview.already else ".")
        )
    rows = [
        {
            "row": number,
            "worker_id": row.worker_id,
            "assignment_id": row.assignment_mturk_id,
            "hit_id": row.hit_mturk_id,
            "amount": f"{row.amount:.2f}",
            "reason": topup_reason(rate, row.seconds),
            "token": topup_token(
                requester_id=membership.requester_id, assignment_mturk_id=row.assignment_mturk_id
            ),
        }
        for number, row in enumerate(preview.rows, start=1)
    ]
    with transaction.atomic():
        bonus_batch = BonusBatch.objects.create(
            requester=membership.requester,
            created_by=actor,
            rows=rows,
            source_batch=batch,
            rule=f"Top-up to ${rate:.2f}/h on batch {batch.name}"[:200],
        )
        # Priced against the daily limit here; a refusal rolls the record back with it. The
        # person confirmed the preview, past the reviewers' cap included.
        bonus_batch_pay_start(membership=membership, actor=actor, batch=bonus_batch, confirmed=True)
    return bonus_batch
