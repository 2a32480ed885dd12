"""Reconciliation: bring an account's mirror in line with MTurk, with as few calls as the data needs.

Notifications keep the mirror current; this is the safety net, run by beat every few minutes,
by the "Sync now" button and by `manage.py sync`. Its call budget:

- ListHITs over all pages: ceil(N/100) calls for N HITs;
- ListAssignmentsForHIT only for HITs that may have news: their counters or status changed since
  we last looked, a sync died before reading them, or a Submitted assignment we hold is past its
  auto-approval time; nothing for an unchanged HIT;
- a constant: the owned qualification types, worker blocks and pending qualification requests;
- with `full=True`: every HIT's assignments, every owned type's scores, and the bonus payments of
  the HITs we know had bonuses.

Assignment listings run on a small thread pool (they dominate a first sync; the account's rate
limiter still paces them) while rows are written by the calling thread.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.hits.models import HIT, Assignment, AssignmentStatus, SyncLock, SyncRun
from apps.hits.upserts import (
    assignments_upsert_for_hits,
    hit_type_upsert_from_api,
    hit_unchanged,
    hit_upsert_from_api,
    hits_create_from_api,
    jsonable,
    workers_refresh,
)
from apps.mturk.errors import MTurkError
from apps.mturk.gateway import Gateway
from apps.qualifications.groups import groups_after_submissions
from apps.qualifications.models import QualificationRequest, QualificationScore, QualificationType
from apps.qualifications.upserts import (
    qualification_score_upsert_from_api,
    qualification_type_upsert_from_api,
)
from apps.requesters.models import Requester
from apps.requesters.services import CredentialsMissing, requester_gateway
from apps.review.models import BonusPayment
from apps.review.upserts import bonus_payment_upsert_from_api
from apps.workers.models import WorkerBlock

logger = logging.getLogger(__name__)

ALL_ASSIGNMENT_STATUSES = [s.value for s in AssignmentStatus]
LOCK_STALE_AFTER = timedelta(minutes=30)


class SyncBusy(Exception):
    """Another sync of the same account is running."""


@dataclass
class SyncReport:
    run: SyncRun
    changes: Counter = field(default_factory=Counter)


def _claim(requester: Requester) -> str | None:
    SyncLock.objects.get_or_create(requester=requester)
    token = uuid.uuid4().hex
    now = timezone.now()
    free = SyncLock.objects.filter(requester=requester, holder="") | SyncLock.objects.filter(
        requester=requester, claimed_at__lt=now - LOCK_STALE_AFTER
    )
    claimed = SyncLock.objects.filter(pk__in=free.values("pk")).update(holder=token, claimed_at=now)
    return token if claimed else None


def _release(requester: Requester, token: str) -> None:
    SyncLock.objects.filter(requester=requester, holder=token).update(holder="", claimed_at=None)


def requester_sync(
    *,
    requester: Requester,
    full: bool = False,
    gateway: Gateway | None = None,
    threads: int | None = None,
) -> SyncReport:
    """Reconcile one account. Raises SyncBusy when another sync of it is running."""
    token = _claim(requester)
    if token is None:
        raise SyncBusy(f"A sync of {requester.name} is already running.")
    run = SyncRun.objects.create(requester=requester, full=full)
    report = SyncReport(run=run)
    try:
        gateway = gateway or requester_gateway(requester)
        _sync_hits(requester, gateway, report, full=full, threads=threads or settings.SYNC_THREADS)
        _sync_qualification_types(requester, gateway, report, full=full)
        _sync_worker_blocks(requester, gateway, report)
        _sync_qualification_requests(requester, gateway, report)
        if full:
            _sync_bonuses(requester, gateway, report)
        run.ok = True
    except (MTurkError, CredentialsMissing) as exc:
        run.ok = False
        run.error = str(exc)
        logger.warning("sync of %s failed: %s", requester.name, exc)
    except Exception as exc:
        run.ok = False
        run.error = f"{type(exc).__name__}: {exc}"
        logger.exception("sync of %s failed", requester.name)
        raise
    finally:
        run.finished_at = timezone.now()
        run.calls = dict(gateway.calls) if gateway else {}
        run.changes = dict(report.changes)
        run.save(update_fields=["ok", "error", "finished_at", "calls", "changes"])
        _release(requester, token)
    return report


class _AssignmentReader:
    """Lists HITs' assignments on a thread pool while the calling thread writes the rows.

    Reads start as soon as a ListHITs page names a HIT with news, so they overlap the listing of
    the next pages. At most `threads * 2` reads wait at a time; the rate limiter paces them.
    """

    def __init__(
        self, requester: Requester, gateway: Gateway, report: SyncReport, threads: int
    ) -> None:
        self.requester, self.gateway, self.report = requester, gateway, report
        self.threads = max(1, threads)
        self.pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="sync")
        self.pending: dict[Future, HIT] = {}
        self.queued: list[HIT] = []
        self.asked: set[str] = set()
        self.touched_workers: set[str] = set()
        self.error: MTurkError | None = None

    def add(self, hit: HIT) -> None:
        if hit.mturk_id in self.asked:
            return
        self.asked.add(hit.mturk_id)
        self.queued.append(hit)
        self._fill()

    def _fill(self) -> None:
        while self.queued and len(self.pending) < self.threads * 2 and self.error is None:
            hit = self.queued.pop(0)
            self.pending[self.pool.submit(_list_assignments, self.gateway, hit.mturk_id)] = hit

    def collect(self, *, block: bool) -> None:
        """Write the listings that have arrived (waiting for at least one when `block`)."""
        self._fill()
        if not self.pending:
            return
        done, _ = wait(
            list(self.pending), timeout=None if block else 0, return_when=FIRST_COMPLETED
        )
        listings = []
        for future in done:
            hit = self.pending.pop(future)
            try:
                listings.append((hit, future.result()))
            except MTurkError as exc:
                self.error = self.error or exc
        self._fill()  # keep the readers busy while this thread writes
        self._store(listings)

    def _store(self, listings: list[tuple[HIT, list[dict]]]) -> None:
        """Write every listing that arrived in one transaction: while this thread writes, more
        arrive, so the batches grow exactly when writing is the bottleneck."""
        if not listings:
            return
        fetched_at = timezone.now()
        with transaction.atomic():
            changed = assignments_upsert_for_hits(listings=listings, fetched_at=fetched_at)
            for assignment in changed:
                self.report.changes["assignments_changed"] += 1
                self.touched_workers.add(assignment.worker_id)
            groups_after_submissions([a.pk for a in changed])
            # Everything MTurk holds is stored: these HITs have no unread news left.
            HIT.objects.filter(pk__in=[hit.pk for hit, _ in listings]).update(
                assignments_stale=False
            )
        self.report.changes["hits_read"] += len(listings)

    def finish(self) -> None:
        try:
            while self.pending or (self.queued and self.error is None):
                self.collect(block=True)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
            workers_refresh(requester=self.requester, worker_ids=self.touched_workers)
        if self.error is not None:
            raise self.error


def _sync_hits(
    requester: Requester, gateway: Gateway, report: SyncReport, *, full: bool, threads: int
) -> None:
    seen: set[str] = set()
    hit_types = {}
    reader = _AssignmentReader(requester, gateway, report, threads)
    try:
        for page in gateway.pages("list_hits"):
            fetched_at = timezone.now()
            items = page.get("HITs", [])
            known = {
                h.mturk_id: h
                for h in HIT.objects.filter(
                    requester=requester, mturk_id__in=[d["HITId"] for d in items]
                )
            }
            with transaction.atomic():
                for data in items:
                    type_id = data["HITTypeId"]
                    if type_id not in hit_types:
                        hit_types[type_id] = hit_type_upsert_from_api(
                            requester=requester, data=data, fetched_at=fetched_at
                        )
                stored = hits_create_from_api(
                    requester=requester,
                    items=[d for d in items if d["HITId"] not in known],
                    fetched_at=fetched_at,
                    hit_types=hit_types,
                )
                for data in items:
                    hit = known.get(data["HITId"])
                    if hit is None:
                        continue
                    if hit_unchanged(hit, data):
                        # Nothing to write: the common case of a reconciliation.
                        stored.append((hit, hit.assignments_stale))
                    else:
                        stored.append(
                            hit_upsert_from_api(
                                requester=requester,
                                data=data,
                                fetched_at=fetched_at,
                                hit_type=hit_types[data["HITTypeId"]],
                            )
                        )
                for hit, news in stored:
                    if hit.mturk_id not in seen:
                        report.changes["hits_listed"] += 1
                    seen.add(hit.mturk_id)
                    if news or (full and hit.completed > 0) or hit.assignments_stale:
                        reader.add(hit)
            reader.collect(block=False)

        # Submitted assignments past their auto-approval time were approved without our knowing.
        now = timezone.now()
        overdue = (
            Assignment.objects.filter(
                requester=requester, status=AssignmentStatus.SUBMITTED, auto_approval_time__lte=now
            )
            .values_list("hit__mturk_id", flat=True)
            .distinct()
        )
        for hit in HIT.objects.filter(requester=requester, mturk_id__in=set(overdue) & seen):
            reader.add(hit)

        gone_ids = sorted(
            set(
                HIT.objects.filter(requester=requester, gone_at__isnull=True).values_list(
                    "mturk_id", flat=True
                )
            )
            - seen
        )
        for start in range(0, len(gone_ids), 500):
            report.changes["hits_gone"] += HIT.objects.filter(
                requester=requester, mturk_id__in=gone_ids[start : start + 500]
            ).update(gone_at=now)
    finally:
        reader.finish()


def _list_assignments(gateway: Gateway, hit_id: str) -> list[dict]:
    return list(
        gateway.paginate(
            "list_assignments_for_hit", HITId=hit_id, AssignmentStatuses=ALL_ASSIGNMENT_STATUSES
        )
    )


def _sync_qualification_types(
    requester: Requester, gateway: Gateway, report: SyncReport, *, full: bool
) -> None:
    fetched_at = timezone.now()
    seen = set()
    for data in gateway.paginate(
        "list_qualification_types", MustBeRequestable=False, MustBeOwnedByCaller=True
    ):
        qtype = qualification_type_upsert_from_api(
            requester=requester, data=data, fetched_at=fetched_at
        )
        seen.add(qtype.mturk_id)
        if full:
            _sync_scores(requester, gateway, report, qtype)
    report.changes["qualification_types_gone"] += (
        QualificationType.objects.filter(requester=requester, gone_at__isnull=True)
        .exclude(mturk_id__in=seen)
        .update(gone_at=fetched_at)
    )


def _sync_scores(
    requester: Requester, gateway: Gateway, report: SyncReport, qtype: QualificationType
) -> None:
    fetched_at = timezone.now()
    seen = set()
    for data in gateway.paginate(
        "list_workers_with_qualification_type", QualificationTypeId=qtype.mturk_id
    ):
        seen.add(data["WorkerId"])
        qualification_score_upsert_from_api(
            requester=requester, qtype=qtype, data=data, fetched_at=fetched_at
        )
        report.changes["scores_read"] += 1
    report.changes["scores_revoked"] += (
        QualificationScore.objects.filter(qualification_type=qtype, status="Granted")
        .exclude(worker_id__in=seen)
        .update(status="Revoked", synced_at=fetched_at)
    )


def _sync_worker_blocks(requester: Requester, gateway: Gateway, report: SyncReport) -> None:
    fetched_at = timezone.now()
    seen = set()
    for data in gateway.paginate("list_worker_blocks"):
        seen.add(data["WorkerId"])
        _, created = WorkerBlock.objects.update_or_create(
            requester=requester,
            worker_id=data["WorkerId"],
            defaults={
                "reason": data.get("Reason", ""),
                "raw": jsonable(data),
                "synced_at": fetched_at,
            },
        )
        report.changes["blocks_added"] += int(created)
    deleted, _ = (
        WorkerBlock.objects.filter(requester=requester).exclude(worker_id__in=seen).delete()
    )
    report.changes["blocks_removed"] += deleted


def _sync_qualification_requests(
    requester: Requester, gateway: Gateway, report: SyncReport
) -> None:
    fetched_at = timezone.now()
    types = {q.mturk_id: q for q in QualificationType.objects.filter(requester=requester)}
    seen = set()
    for data in gateway.paginate("list_qualification_requests"):
        qtype = types.get(data.get("QualificationTypeId"))
        if qtype is None:
            continue
        seen.add(data["QualificationRequestId"])
        QualificationRequest.objects.update_or_create(
            requester=requester,
            mturk_id=data["QualificationRequestId"],
            defaults={
                "qualification_type": qtype,
                "worker_id": data.get("WorkerId", ""),
                "test": data.get("Test", "") or "",
                "answer": data.get("Answer", "") or "",
                "submitted_at": data.get("SubmitTime"),
                "raw": jsonable(data),
                "synced_at": fetched_at,
            },
        )
    # Requests MTurk no longer lists were decided elsewhere.
    report.changes["requests_resolved"] += (
        QualificationRequest.objects.filter(requester=requester, status="Pending")
        .exclude(mturk_id__in=seen)
        .update(status="Resolved", synced_at=fetched_at)
    )
    report.changes["requests_pending"] += len(seen)


def _sync_bonuses(requester: Requester, gateway: Gateway, report: SyncReport) -> None:
    hit_ids = (
        BonusPayment.objects.filter(requester=requester)
        .exclude(hit_mturk_id="")
        .values_list("hit_mturk_id", flat=True)
    )
    report.changes["bonuses_read"] += bonuses_read_for_hits(
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
