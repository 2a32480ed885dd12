"""Bonuses in bulk (a `BonusBatch`): read from a CSV (or made by a rule over a batch, see
`by_rule`), checked and priced before anything is paid, then paid as a Celery job, each row once.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q

from apps.audit.models import AuditEvent
from apps.hits.models import Assignment
from apps.mturk import fees
from apps.mturk.errors import MTurkError
from apps.requesters.models import Membership, Requester
from apps.requesters.roles import Action, role_allows
from apps.requesters.services import membership_require, requester_spent_today
from apps.review.bonuses.selectors import bonus_totals_by_assignment
from apps.review.bonuses.services import bonus_amount_clean, bonus_send
from apps.review.decisions.services import feedback_clean
from apps.review.models import BonusBatch, BonusPayment
from mturkdash.csvupload import upload_text

MAX_BYTES = 5 * 1024 * 1024
COLUMNS = {"WorkerId", "AssignmentId", "Amount", "Reason"}


class AboveCapConfirmationRequired(Exception):
    """A manager's bonus batch has rows past the reviewers' cap: pay only once confirmed."""


@dataclass
class BonusPreview:
    count: int
    rewards: Decimal
    fees: Decimal
    spent_today: Decimal
    daily_limit: Decimal
    over_cap: int  # rows a reviewer's payment would refuse (past the cap)
    # Rows a manager pays past the reviewers' cap, and their amount: paid only once confirmed.
    above_cap: int = 0
    above_cap_amount: Decimal = Decimal("0.00")

    @property
    def total(self) -> Decimal:
        return self.rewards + self.fees

    @property
    def fits_daily_limit(self) -> bool:
        return self.spent_today + self.total <= self.daily_limit


def bonus_batch_create(
    *, requester: Requester, created_by, rows: list[dict], **fields
) -> BonusBatch:
    """Record a bonus batch for preview, each row with its UniqueRequestToken made here: random
    (nobody can guess another account's), fixed before anything is paid, so paying twice pays
    each row once. The batch's id leads the tokens, for its progress."""
    with transaction.atomic():
        batch = BonusBatch.objects.create(
            requester=requester, created_by=created_by, rows=rows, **fields
        )
        for row in rows:
            row["token"] = f"bonusbatch-{batch.pk}-{secrets.token_hex(16)}"
        BonusBatch.objects.filter(pk=batch.pk).update(rows=rows)
    batch.rows = rows
    return batch


def _row_token(batch: BonusBatch, row: dict) -> str:
    # Rows recorded before tokens were stored with them kept the batch and row number: a batch
    # left half paid then still pays each row once. Lookups are scoped to the row's payment.
    return row.get("token") or f"bonusbatch-{batch.pk}-{row['row']}"


def bonus_csv_read(*, membership: Membership, actor, upload) -> BonusBatch:
    membership_require(membership, Action.BONUS)
    text = upload_text(upload, max_bytes=MAX_BYTES)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = COLUMNS - set(reader.fieldnames or [])
    if missing:
        raise ValidationError(f"The file has no {', '.join(sorted(missing))} column.")
    parsed, problems = [], []
    for number, row in enumerate(reader, start=2):
        try:
            amount = bonus_amount_clean(row.get("Amount", ""))
            reason = feedback_clean(row.get("Reason", ""), required=True)
        except ValidationError as exc:
            problems.append({"row": number, "error": " ".join(exc.messages)})
            continue
        parsed.append(
            (
                number,
                (row.get("WorkerId") or "").strip().upper(),
                (row.get("AssignmentId") or "").strip(),
                amount,
                reason,
            )
        )
    known = {
        a.mturk_id: a
        for a in Assignment.objects.filter(
            requester=membership.requester, mturk_id__in=[p[2] for p in parsed]
        ).select_related("hit")
    }
    rows = []
    for number, worker_id, assignment_id, amount, reason in parsed:
        assignment = known.get(assignment_id)
        if assignment is None:
            problems.append(
                {"row": number, "error": f"No assignment {assignment_id!r} in this account."}
            )
        elif assignment.worker_id != worker_id:
            problems.append(
                {
                    "row": number,
                    "error": f"{assignment_id} was done by {assignment.worker_id}, not {worker_id}.",
                }
            )
        else:
            rows.append(
                {
                    "row": number,
                    "worker_id": worker_id,
                    "assignment_id": assignment_id,
                    "hit_id": assignment.hit.mturk_id,
                    "amount": str(amount),
                    "reason": reason,
                }
            )
    return bonus_batch_create(
        requester=membership.requester, created_by=actor, rows=rows, problems=problems
    )


def bonus_batch_preview(*, membership: Membership, batch: BonusBatch) -> BonusPreview:
    amounts = [Decimal(r["amount"]) for r in batch.rows]
    may_pass_cap = role_allows(membership.role, Action.SPEND)
    above_cap, above_cap_amount = (
        _rows_above_cap(membership.requester, batch.rows) if may_pass_cap else (0, Decimal("0"))
    )
    return BonusPreview(
        count=len(amounts),
        rewards=sum(amounts, Decimal("0")),
        fees=sum((fees.bonus_fee(a) for a in amounts), Decimal("0")),
        spent_today=requester_spent_today(membership.requester),
        daily_limit=membership.requester.daily_spend_limit,
        over_cap=0 if may_pass_cap else _rows_over_cap(membership.requester, batch.rows),
        above_cap=above_cap,
        above_cap_amount=above_cap_amount,
    )


def _rows_above_cap(requester: Requester, rows: list[dict]) -> tuple[int, Decimal]:
    """The rows a manager's payment takes past the reviewers' cap (bonuses already paid on the
    assignment, then the rows before them, all paid), and their amount together."""
    cap = requester.bonus_cap
    totals: dict[str, Decimal] = defaultdict(Decimal)
    totals.update(bonus_totals_by_assignment(requester, {r["assignment_id"] for r in rows}))
    count, amount = 0, Decimal("0.00")
    for row in rows:
        value = Decimal(row["amount"])
        totals[row["assignment_id"]] += value
        if totals[row["assignment_id"]] > cap:
            count += 1
            amount += value
    return count, amount


def _rows_over_cap(requester: Requester, rows: list[dict]) -> int:
    """How many rows a reviewer's payment would refuse: those that take their assignment's
    bonuses (already paid or being paid, then the rows before them) past the account's cap."""
    cap = requester.bonus_cap
    totals: dict[str, Decimal] = defaultdict(Decimal)
    totals.update(bonus_totals_by_assignment(requester, {r["assignment_id"] for r in rows}))
    over = 0
    for row in rows:
        amount = Decimal(row["amount"])
        if totals[row["assignment_id"]] + amount > cap:
            over += 1
        else:
            totals[row["assignment_id"]] += amount
    return over


def bonus_batch_pay_start(
    *, membership: Membership, actor, batch: BonusBatch, confirmed: bool = False
) -> bool:
    """Start paying a previewed batch as a job, once: False when it was already started.
    Raises ValidationError when the batch would pass the account's daily spending limit, and
    AboveCapConfirmationRequired when a manager's rows pass the reviewers' cap and the person
    has not `confirmed` them."""
    membership_require(membership, Action.BONUS)
    preview = bonus_batch_preview(membership=membership, batch=batch)
    if not preview.fits_daily_limit:
        raise ValidationError("These bonuses would pass the account's daily spending limit.")
    if preview.above_cap and not confirmed:
        raise AboveCapConfirmationRequired(preview)
    with transaction.atomic():
        started = BonusBatch.objects.filter(pk=batch.pk, status=BonusBatch.Status.PREVIEW).update(
            status=BonusBatch.Status.PAYING
        )
        if not started:
            return False
        from apps.review.tasks import bonus_batch_pay_task

        transaction.on_commit(lambda: bonus_batch_pay_task.delay(batch.pk, actor.pk))
    return True


def bonus_batch_pay(*, membership: Membership, actor, batch: BonusBatch) -> dict:
    """Pay every row once. Returns counts: paid, failed (with row errors kept on the batch)."""
    membership_require(membership, Action.BONUS)
    BonusBatch.objects.filter(pk=batch.pk, status=BonusBatch.Status.PREVIEW).update(
        status=BonusBatch.Status.PAYING
    )
    paid, errors = 0, []
    for row in batch.rows:
        token = _row_token(batch, row)
        try:
            payment = bonus_send(
                membership=membership,
                actor=actor,
                worker_id=row["worker_id"],
                assignment_mturk_id=row["assignment_id"],
                hit_mturk_id=row["hit_id"],
                amount=row["amount"],
                reason=row["reason"],
                token=token,
            )
            paid += int(payment.status == BonusPayment.Status.SENT)
        except (ValidationError, MTurkError, PermissionDenied) as exc:
            # A refused row (over the cap or the daily limit, or refused by MTurk) does not stop the rest.
            errors.append(
                {"row": row["row"], "error": " ".join(getattr(exc, "messages", [str(exc)]))}
            )
    BonusBatch.objects.filter(pk=batch.pk).update(
        status=BonusBatch.Status.DONE, problems=batch.problems + errors
    )
    return {"paid": paid, "failed": len(errors)}


def bonus_batches_unfinished() -> list[tuple[int, int]]:
    """Bulk bonuses left half paid (a worker died while paying): (batch id, payer's user id).

    The payer is whoever the batch's first payment was recorded for, else its uploader. Paying
    such a batch again pays only the rows not yet paid: each row's token is fixed.
    """
    unfinished = []
    for batch in BonusBatch.objects.filter(status=BonusBatch.Status.PAYING):
        first = (
            AuditEvent.objects.filter(
                requester_id=batch.requester_id,
                action="bonus.send",
                details__token__startswith=f"bonusbatch-{batch.pk}-",
                actor__isnull=False,
            )
            .order_by("created_at", "id")
            .values_list("actor_id", flat=True)
            .first()
        )
        payer = first or batch.created_by_id
        if payer is not None:
            unfinished.append((batch.pk, payer))
    return unfinished


def bonus_batches_resume() -> int:
    """Queue the paying of every batch left half paid (each row is still paid once); returns
    how many were queued."""
    from apps.review.tasks import bonus_batch_pay_task

    unfinished = bonus_batches_unfinished()
    for batch_id, user_id in unfinished:
        transaction.on_commit(lambda b=batch_id, u=user_id: bonus_batch_pay_task.delay(b, u))
    return len(unfinished)


def bonus_batch_progress(batch: BonusBatch) -> dict:
    prefix = f"bonusbatch-{batch.pk}-"
    # Rows whose token is not the batch's own (a top-up's, one per assignment ever) are
    # found by their token.
    others = [r["token"] for r in batch.rows if not r.get("token", prefix).startswith(prefix)]
    payments = BonusPayment.objects.filter(requester_id=batch.requester_id).filter(
        Q(unique_request_token__startswith=prefix) | Q(unique_request_token__in=others)
    )
    return {
        "total": len(batch.rows),
        "sent": payments.filter(status=BonusPayment.Status.SENT).count(),
        "failed": payments.filter(status=BonusPayment.Status.FAILED).count(),
    }
