"""Reconciliation: bring an account's mirror in line with MTurk, with as few calls as the data needs.

Notifications keep the mirror current; this is the safety net, run by beat every few minutes,
by the "Sync now" button and by `manage.py sync`. It only conducts: each app reconciles its own
objects in its own step, in this order:

1. HITs and assignments (`apps.hits.sync`); the assignments stored on the way feed the groups
   that fill themselves (`apps.qualifications.groups`) and, at the end, the workers' summaries;
2. the qualification types, with every score on a full sync (`apps.qualifications.sync`);
3. the worker blocks (`apps.workers.sync`);
4. the pending qualification requests (`apps.qualifications.sync`);
5. on a full sync, the bonus payments of the HITs we know had bonuses (`apps.review.bonuses.sync`).

Steps 2 to 5 cost a constant number of calls, whatever the account's size.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from apps.hits import sync as hits_sync
from apps.hits.models import Assignment, SyncRun
from apps.mturk.errors import MTurkError
from apps.mturk.gateway import Gateway
from apps.qualifications import sync as qualifications_sync
from apps.qualifications.groups import groups_after_submissions
from apps.qualifications.guards import guards_after_submissions, guards_reconcile
from apps.requesters.models import Requester
from apps.requesters.services import CredentialsMissing, requester_gateway
from apps.review.bonuses.sync import bonus_payments_sync
from apps.workers import sync as workers_sync

logger = logging.getLogger(__name__)


class SyncBusy(Exception):
    """Another sync of the same account is running."""


@dataclass
class SyncReport:
    run: SyncRun
    changes: Counter = field(default_factory=Counter)


def requester_sync(
    *,
    requester: Requester,
    full: bool = False,
    gateway: Gateway | None = None,
    threads: int | None = None,
) -> SyncReport:
    """Reconcile one account. Raises SyncBusy when another sync of it is running."""
    token = hits_sync.sync_claim(requester)
    if token is None:
        raise SyncBusy(f"A sync of {requester.name} is already running.")
    report = SyncReport(run=hits_sync.sync_run_start(requester, full=full))
    ok, error = False, ""
    try:
        gateway = gateway or requester_gateway(requester)
        _steps(requester, gateway, report.changes, full=full, threads=threads)
        ok = True
    except (MTurkError, CredentialsMissing) as exc:
        error = str(exc)
        logger.warning("sync of %s failed: %s", requester.name, exc)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        logger.exception("sync of %s failed", requester.name)
        raise
    finally:
        hits_sync.sync_run_finish(
            report.run,
            ok=ok,
            error=error,
            calls=dict(gateway.calls) if gateway else {},
            changes=dict(report.changes),
        )
        hits_sync.sync_release(requester, token)
    return report


def _steps(
    requester: Requester, gateway: Gateway, changes: Counter, *, full: bool, threads: int | None
) -> None:
    touched_workers: set[str] = set()

    def after_store(assignments: list[Assignment]) -> None:
        touched_workers.update(a.worker_id for a in assignments)
        groups_after_submissions([a.pk for a in assignments])
        guards_after_submissions([a.pk for a in assignments])

    try:
        hits_sync.hits_sync(
            requester=requester,
            gateway=gateway,
            changes=changes,
            full=full,
            threads=threads or settings.SYNC_THREADS,
            after_store=after_store,
        )
    finally:
        # Whatever was stored before a failure still counts in the workers' summaries.
        workers_sync.workers_refresh(requester=requester, worker_ids=touched_workers)
    qualifications_sync.qualification_types_sync(
        requester=requester, gateway=gateway, changes=changes, full=full
    )
    workers_sync.worker_blocks_sync(requester=requester, gateway=gateway, changes=changes)
    # Caps and sibling guards a lost event or a failed grant left out.
    changes["guard_grants"] += guards_reconcile(requester=requester)
    qualifications_sync.qualification_requests_sync(
        requester=requester, gateway=gateway, changes=changes
    )
    if full:
        bonus_payments_sync(requester=requester, gateway=gateway, changes=changes)


def requester_sync_start(*, requester: Requester, full: bool = False) -> None:
    """Queue a reconciliation of the account, once the caller's transaction commits."""
    from apps.sync.tasks import requester_sync_task

    transaction.on_commit(lambda: requester_sync_task.delay(requester.pk, full))
