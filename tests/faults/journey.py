"""The back half of a requester's journey, driven through services and Celery tasks, and the
invariants that must hold after it whatever went wrong on the way.

Launch a batch (the Celery launch task in a real worker), let the simulated crowd work it, mirror
the answers (reconciliation or notifications), review (approve all but one, reject one) and pay a
bulk bonus (the Celery task). `assert_invariants` then checks, against the local MTurk itself:
exactly one HIT per row, exactly one payment per bonus row, every submitted assignment mirrored
with its status, an audit entry for every action, and the balance equal to the start minus what
the audit says was spent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import AuditEvent
from apps.batches import launch
from apps.batches import services as batch_services
from apps.batches.models import Batch, BatchStatus, RowStatus
from apps.hits.models import Assignment, AssignmentStatus
from apps.requesters.models import Membership
from apps.review.bonuses import bulk as bonus_csv
from apps.review.decisions import services as review_services
from apps.review.models import BonusBatch, BonusPayment
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project, rows_csv
from tests.fixtures.celery import wait_for
from tests.helpers import paid_at_mturk

BONUS_AMOUNT = Decimal("0.25")
MONEY_ACTIONS = ("assignment.approve", "bonus.send")


def mturk_pages(client, operation: str, key: str, **params) -> list[dict]:
    """Every item of a List operation, straight from the local MTurk (boto3, no dashboard)."""
    items, token = [], None
    method = getattr(client, operation)
    while True:
        page = method(MaxResults=100, **params, **({"NextToken": token} if token else {}))
        items += page[key]
        token = page.get("NextToken")
        if not token:
            return items


@dataclass
class Journey:
    account: object
    user: object
    mturk: object  # boto3 client of the same requester, outside the dashboard
    emulator: object
    start_balance: Decimal = Decimal("0")
    batch: Batch | None = None
    bonus_batch: BonusBatch | None = None
    rejected: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.start_balance = Decimal(self.mturk.get_account_balance()["AvailableBalance"])

    @property
    def membership(self) -> Membership:
        return Membership.objects.select_related("requester", "user").get(
            user=self.user, requester=self.account
        )

    # --- launch -------------------------------------------------------------------------

    def launch(self, rows: int, *, name: str = "Faults") -> Batch:
        """Make a batch of `rows` rows and launch it: the launch task goes to the worker."""
        project = make_project(self.account, self.user, name=name)
        self.batch = make_batch(project, self.user, rows_csv(rows), name=name)
        assert self.batch.status == BatchStatus.VALIDATED, self.batch.status
        batch_services.batch_launch(membership=self.membership, actor=self.user, batch=self.batch)
        return self.batch

    def batch_status(self) -> str:
        return Batch.objects.values_list("status", flat=True).get(pk=self.batch.pk)

    def rows_created(self) -> int:
        return self.batch.rows.filter(status=RowStatus.CREATED).count()

    def wait_launched(self, timeout: float = 60) -> None:
        try:
            wait_for(
                lambda: self.batch_status() == BatchStatus.LAUNCHED,
                timeout=timeout,
                message=f"batch {self.batch.pk} to be launched",
            )
        except pytest.fail.Exception as exc:
            # Where it stopped: the batch's state and error, and its rows by status.
            self.batch.refresh_from_db()
            rows = Counter(self.batch.rows.values_list("status", flat=True))
            errors = list(self.batch.rows.exclude(error="").values_list("error", flat=True)[:3])
            raise pytest.fail.Exception(
                f"{exc}; the batch is {self.batch.status} ({self.batch.error or 'no error'}), "
                f"rows {dict(rows)}, row errors {errors}"
            ) from exc
        self.batch.refresh_from_db()

    # --- the crowd and the mirror ------------------------------------------------------

    def work(self) -> int:
        """The simulated crowd submits one assignment per HIT; returns how many."""
        done = self.emulator.crowd_work(
            HITTypeId=self.batch.hit_type_mturk_id,
            assignments=self.batch.rows.count(),
            seed="faults",
        )
        return done["Submitted"]

    def sync(self) -> None:
        requester_sync(requester=self.account)

    def submitted_mirrored(self) -> int:
        return Assignment.objects.filter(
            requester=self.account, hit__hit_type__mturk_id=self.batch.hit_type_mturk_id
        ).count()

    # --- review and bonuses ---------------------------------------------------------------

    def _assignments(self):
        return (
            Assignment.objects.filter(requester=self.account, hit__batch_rows__batch=self.batch)
            .select_related("hit", "hit__hit_type")
            .order_by("mturk_id")
        )

    def review(self) -> None:
        """Approve every submitted assignment but the first, which is rejected."""
        membership = self.membership
        submitted = list(self._assignments().filter(status=AssignmentStatus.SUBMITTED))
        assert submitted, "nothing to review"
        first, rest = submitted[0], submitted[1:]
        outcome = review_services.assignment_reject(
            membership=membership, assignment=first, actor=self.user, feedback="Left blank."
        )
        assert outcome.done, outcome.message
        self.rejected.add(first.mturk_id)
        for assignment in rest:
            outcome = review_services.assignment_approve(
                membership=membership, assignment=assignment, actor=self.user
            )
            assert outcome.done, (assignment.mturk_id, outcome.message)

    def bonus_batch_make(self, count: int | None = None) -> BonusBatch:
        """A bonus CSV for the approved assignments (the first `count`), read and priced."""
        approved = list(self._assignments().filter(status=AssignmentStatus.APPROVED))
        approved = approved[:count] if count else approved
        lines = ["WorkerId,AssignmentId,Amount,Reason"]
        lines += [f"{a.worker_id},{a.mturk_id},{BONUS_AMOUNT},Careful work" for a in approved]
        upload = SimpleUploadedFile("bonuses.csv", "\n".join(lines).encode(), "text/csv")
        self.bonus_batch = bonus_csv.bonus_csv_read(
            membership=self.membership, actor=self.user, upload=upload
        )
        assert len(self.bonus_batch.rows) == len(approved), self.bonus_batch.problems
        return self.bonus_batch

    def bonus_pay_in_worker(self) -> None:
        from apps.review.tasks import bonus_batch_pay_task as bonus_batch_pay

        bonus_batch_pay.delay(self.bonus_batch.pk, self.user.pk)

    def bonuses_sent(self) -> int:
        return BonusPayment.objects.filter(
            unique_request_token__startswith=f"bonusbatch-{self.bonus_batch.pk}-",
            status=BonusPayment.Status.SENT,
        ).count()

    def wait_bonus_done(self, timeout: float = 60) -> None:
        wait_for(
            lambda: BonusBatch.objects.get(pk=self.bonus_batch.pk).status == BonusBatch.Status.DONE,
            timeout=timeout,
            message="the bonus batch to be paid",
        )
        self.bonus_batch.refresh_from_db()


def _audit_net(account, action: str) -> Counter:
    """Per target, entries of `action` minus their `.undone` reversals."""
    net: Counter = Counter()
    for event in AuditEvent.objects.filter(requester=account, action=action):
        net[event.target_id] += 1
    for event in AuditEvent.objects.filter(requester=account, action=f"{action}.undone"):
        net[event.target_id] -= 1
    return +net


def assert_invariants(journey: Journey) -> None:
    """What must hold after any fault: checked against the local MTurk, not the mirror."""
    account, mturk, batch = journey.account, journey.mturk, journey.batch
    journey.emulator.clear_faults()  # the checks read MTurk; the faults were for the journey
    batch.refresh_from_db()
    rows = list(batch.rows.order_by("index"))

    # Exactly one HIT per row, found at MTurk by the row's annotation marker.
    hits = mturk_pages(mturk, "list_hits", "HITs")
    prefix = f"mturkdash:{batch.launch_key}:"
    markers = Counter(
        h["RequesterAnnotation"].split(" ", 1)[0]
        for h in hits
        if h.get("RequesterAnnotation", "").startswith(prefix)
    )
    assert batch.status == BatchStatus.LAUNCHED, (batch.status, batch.error)
    failed = [(r.index, r.status, r.error) for r in rows if r.status != RowStatus.CREATED]
    assert not failed, failed
    duplicated = {m: n for m, n in markers.items() if n != 1}
    assert not duplicated, f"rows with more than one HIT: {duplicated}"
    assert set(markers) == {launch.row_marker(batch, r.index) for r in rows}
    ours = {h["HITId"]: h for h in hits if h.get("RequesterAnnotation", "").startswith(prefix)}
    assert {r.hit_mturk_id for r in rows} == set(ours)

    # Every assignment MTurk has for those HITs is mirrored with MTurk's status.
    remote = {}
    for hit_id in ours:
        for item in mturk_pages(mturk, "list_assignments_for_hit", "Assignments", HITId=hit_id):
            remote[item["AssignmentId"]] = item["AssignmentStatus"]
    mirrored = dict(
        Assignment.objects.filter(requester=account, mturk_id__in=remote).values_list(
            "mturk_id", "status"
        )
    )
    assert mirrored == remote, {
        a: (remote.get(a), mirrored.get(a))
        for a in set(remote) | set(mirrored)
        if remote.get(a) != mirrored.get(a)
    }

    # Every decision at MTurk has its audit entry, and no entry lacks its decision.
    approved = {a for a, s in remote.items() if s == "Approved"}
    rejected = {a for a, s in remote.items() if s == "Rejected"}
    assert rejected == journey.rejected
    approve_net = _audit_net(account, "assignment.approve")
    assert set(approve_net) == approved and set(approve_net.values()) <= {1}, approve_net
    reject_net = _audit_net(account, "assignment.reject")
    assert set(reject_net) == rejected and set(reject_net.values()) <= {1}, reject_net
    assert AuditEvent.objects.filter(
        requester=account, action="batch.launch", target_id=str(batch.pk)
    ).exists()

    # Exactly one bonus payment per bonus row, each with its audit entry.
    if journey.bonus_batch is not None:
        journey.bonus_batch.refresh_from_db()
        assert journey.bonus_batch.status == BonusBatch.Status.DONE
        for row in journey.bonus_batch.rows:
            paid = mturk_pages(
                mturk,
                "list_bonus_payments",
                "BonusPayments",
                AssignmentId=row["assignment_id"],
            )
            assert len(paid) == 1, (row, paid)
            assert Decimal(paid[0]["BonusAmount"]) == Decimal(row["amount"])
        bonus_net = _audit_net(account, "bonus.send")
        assert set(bonus_net) == {r["assignment_id"] for r in journey.bonus_batch.rows}
        assert set(bonus_net.values()) <= {1}, bonus_net
        assert journey.bonuses_sent() == len(journey.bonus_batch.rows)

    # The balance at MTurk moved by exactly what the audit log says was spent.
    # (Approvals of launched work carry their reward and fee in their details: the launch
    # counted them against the daily limit.)
    spent = Decimal("0")
    for event in AuditEvent.objects.filter(requester=account, action__startswith="assignment."):
        if event.action.startswith(MONEY_ACTIONS):
            spent += paid_at_mturk(event)
    for event in AuditEvent.objects.filter(requester=account, action__startswith="bonus."):
        if event.action.startswith(MONEY_ACTIONS):
            spent += paid_at_mturk(event)
    balance = Decimal(mturk.get_account_balance()["AvailableBalance"])
    assert balance == journey.start_balance - spent, (journey.start_balance, spent, balance)
