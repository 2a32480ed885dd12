"""Reconciliation of HITs and assignments, and the record of every reconciliation run.

`apps.sync` conducts a reconciliation; this is its HIT step, and the call budget it keeps:

- ListHITs over all pages: ceil(N/100) calls for N HITs;
- ListAssignmentsForHIT only for HITs that may have news: their counters or status changed since
  we last looked, a sync died before reading them, or a Submitted assignment we hold is past its
  auto-approval time; nothing for an unchanged HIT;
- with `full=True`: every HIT's assignments.

Assignment listings run on a few threads (they dominate a first sync; the account's rate limiter
still paces them) while rows are written by the calling thread. The apps above that keep data
derived from assignments (groups, worker summaries) are told through `after_store`.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.hits.models import HIT, Assignment, AssignmentStatus, HITType, SyncLock, SyncRun
from apps.hits.upserts import (
    assignments_upsert_for_hits,
    hit_type_upsert_from_api,
    hit_unchanged,
    hit_upsert_from_api,
    hits_create_from_api,
)
from apps.mturk.concurrency import InFlight
from apps.mturk.errors import MTurkError
from apps.mturk.gateway import Gateway
from apps.requesters.models import Requester

ALL_ASSIGNMENT_STATUSES = [s.value for s in AssignmentStatus]
LOCK_STALE_AFTER = timedelta(minutes=30)

AfterStore = Callable[[list[Assignment]], None]


# --- the run record and the lock ---------------------------------------------------------------


def sync_claim(requester: Requester) -> str | None:
    """Claim the account's sync lock (compare-and-set); the holder token, or None if taken."""
    SyncLock.objects.get_or_create(requester=requester)
    token = uuid.uuid4().hex
    now = timezone.now()
    free = SyncLock.objects.filter(requester=requester, holder="") | SyncLock.objects.filter(
        requester=requester, claimed_at__lt=now - LOCK_STALE_AFTER
    )
    claimed = SyncLock.objects.filter(pk__in=free.values("pk")).update(holder=token, claimed_at=now)
    return token if claimed else None


def sync_release(requester: Requester, token: str) -> None:
    SyncLock.objects.filter(requester=requester, holder=token).update(holder="", claimed_at=None)


def sync_run_start(requester: Requester, *, full: bool) -> SyncRun:
    return SyncRun.objects.create(requester=requester, full=full)


def sync_run_finish(run: SyncRun, *, ok: bool, error: str = "", calls: dict, changes: dict) -> None:
    run.ok, run.error = ok, error
    run.finished_at = timezone.now()
    run.calls, run.changes = calls, changes
    run.save(update_fields=["ok", "error", "finished_at", "calls", "changes"])


# --- HITs and their assignments --------------------------------------------------------------


class _AssignmentReader:
    """Lists HITs' assignments on a few threads while the calling thread writes the rows.

    Reads start as soon as a ListHITs page names a HIT with news, so they overlap the listing of
    the next pages. At most `threads * 2` reads wait at a time; the rate limiter paces them.
    """

    def __init__(
        self,
        requester: Requester,
        gateway: Gateway,
        changes: Counter,
        threads: int,
        after_store: AfterStore | None,
    ) -> None:
        self.requester, self.changes, self.after_store = requester, changes, after_store
        self.threads = max(1, threads)
        self.pool: InFlight[HIT, list[dict]] = InFlight(
            lambda hit: _list_assignments(gateway, hit.mturk_id),
            threads=self.threads,
            stop=lambda: self.error is not None,
            name="sync",
        )
        self.queued: list[HIT] = []
        self.asked: set[str] = set()
        self.error: MTurkError | None = None

    def add(self, hit: HIT) -> None:
        if hit.mturk_id in self.asked:
            return
        self.asked.add(hit.mturk_id)
        self.queued.append(hit)
        self._fill()

    def _fill(self) -> None:
        while self.queued and self.pool.pending < self.threads * 2 and self.error is None:
            self.pool.put(self.queued.pop(0))

    def collect(self, *, block: bool) -> None:
        """Write the listings that have arrived (waiting for at least one when `block`)."""
        self._fill()
        if not self.pool.pending:
            return
        listings = []
        for outcome in self.pool.done(block=block):
            if outcome.error is None:
                listings.append((outcome.item, outcome.result))
            elif isinstance(outcome.error, MTurkError):
                self.error = self.error or outcome.error
            elif self.error is None:
                raise outcome.error
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
            self.changes["assignments_changed"] += len(changed)
            if self.after_store is not None:
                self.after_store(changed)
            # Everything MTurk holds is stored: these HITs have no unread news left.
            HIT.objects.filter(pk__in=[hit.pk for hit, _ in listings]).update(
                assignments_stale=False
            )
        self.changes["hits_read"] += len(listings)

    def finish(self) -> None:
        try:
            while self.pool.pending or (self.queued and self.error is None):
                self.collect(block=True)
        finally:
            self.pool.close()
        if self.error is not None:
            raise self.error


def hits_sync(
    *,
    requester: Requester,
    gateway: Gateway,
    changes: Counter,
    full: bool,
    threads: int,
    after_store: AfterStore | None = None,
) -> None:
    """Mirror every HIT of the account and the assignments of those with news.

    `after_store(assignments)` is called with each group of changed assignments, inside the
    transaction that stored them.
    """
    seen: set[str] = set()
    hit_types: dict[str, HITType] = {}
    reader = _AssignmentReader(requester, gateway, changes, threads, after_store)
    try:
        for page in gateway.pages("list_hits"):
            stored = _hits_page_store(requester, page.get("HITs", []), hit_types)
            for hit, news in stored:
                if hit.mturk_id not in seen:
                    changes["hits_listed"] += 1
                seen.add(hit.mturk_id)
                if news or (full and hit.completed > 0) or hit.assignments_stale:
                    reader.add(hit)
            reader.collect(block=False)
        for hit in _hits_past_auto_approval(requester, seen):
            reader.add(hit)
        changes["hits_gone"] += _hits_mark_gone(requester, seen)
    finally:
        reader.finish()


def _hits_page_store(
    requester: Requester, items: list[dict], hit_types: dict[str, HITType]
) -> list[tuple[HIT, bool]]:
    """Store one ListHITs page (new HITs in one statement); each HIT with whether it has news."""
    fetched_at = timezone.now()
    known = {
        h.mturk_id: h
        for h in HIT.objects.filter(requester=requester, mturk_id__in=[d["HITId"] for d in items])
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
    return stored


def _hits_past_auto_approval(requester: Requester, listed: set[str]) -> QuerySet[HIT]:
    """Listed HITs holding a Submitted assignment past its auto-approval time: MTurk approved it
    without our knowing."""
    overdue = (
        Assignment.objects.filter(
            requester=requester,
            status=AssignmentStatus.SUBMITTED,
            auto_approval_time__lte=timezone.now(),
        )
        .values_list("hit__mturk_id", flat=True)
        .distinct()
    )
    return HIT.objects.filter(requester=requester, mturk_id__in=set(overdue) & listed)


def _hits_mark_gone(requester: Requester, listed: set[str]) -> int:
    """HITs we hold that ListHITs no longer lists are gone (deleted, or disposed by MTurk)."""
    now = timezone.now()
    held = HIT.objects.filter(requester=requester, gone_at__isnull=True)
    gone_ids = sorted(set(held.values_list("mturk_id", flat=True)) - listed)
    gone = 0
    for start in range(0, len(gone_ids), 500):
        gone += HIT.objects.filter(
            requester=requester, mturk_id__in=gone_ids[start : start + 500]
        ).update(gone_at=now)
    return gone


def _list_assignments(gateway: Gateway, hit_id: str) -> list[dict]:
    return list(
        gateway.paginate(
            "list_assignments_for_hit", HITId=hit_id, AssignmentStatuses=ALL_ASSIGNMENT_STATUSES
        )
    )


def _list_assignments(gateway: Gateway, hit_id: str) -> list[dict]:
    return list(
        gateway.paginate(
            "list_assignments_for_hit", HITId=hit_id, AssignmentStatuses=ALL_ASSIGNMENT_STATUSES
        )
    )
