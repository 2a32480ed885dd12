"""Guards: qualifications the dashboard grants to keep a worker from taking more of a batch.

MTurk lets a worker do each HIT once, but any number of a batch's HITs. Two things need more:

- a **per-worker cap** ("at most M assignments of this batch per worker"): the cap's type is
  granted when a worker's submitted work in the batch reaches M;
- **sibling HITs**: a row published as several HITs of at most 9 (apps/batches/splitting.py),
  which one worker must not take twice: the row's sibling type is granted on their first
  assignment of it.

The HITs require the guard's type with DoesNotExist, so MTurk itself refuses the worker from
then on. Grants follow the work into the mirror (notifications and reconciliation both hand the
new assignments to `guards_after_submissions`), and `guards_reconcile` grants whatever a lost
event or a killed worker left out. MTurk names no worker for an assignment still being worked on
(the AssignmentAccepted event carries none and GetAssignment refuses it), so counts are of
submitted work: a worker who accepts several HITs at once can pass a cap by those.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from apps.hits.models import Assignment
from apps.mturk.errors import MTurkError, MTurkRequestError
from apps.mturk.gateway import Gateway
from apps.qualifications.models import BatchGuard, GuardKind, QualificationScore
from apps.qualifications.upserts import qualification_type_upsert_from_api

logger = logging.getLogger(__name__)

GUARD_GROUP = "guard"
# Assignments that count against a cap: the work a worker handed in, decided or not.
COUNTED = ("Submitted", "Approved", "Rejected")


def _guard_name(batch, kind: str, row: int | None) -> str:
    what = "cap" if kind == GuardKind.CAP else f"row {row} siblings"
    return f"{batch.name[:80]}: {what} ({batch.launch_key})"


def _guard_description(batch, kind: str, row: int | None, limit: int) -> str:
    if kind == GuardKind.CAP:
        return (
            f"Granted to workers who have done {limit} assignments of the batch "
            f"{batch.name[:200]}: its HITs require this to be absent."
        )
    return (
        f"Granted to workers who took one of the HITs made from row {row} of the batch "
        f"{batch.name[:200]}: its other HITs require this to be absent."
    )


def _type_by_name(gateway: Gateway, name: str) -> dict | None:
    for qtype in gateway.paginate(
        "list_qualification_types", Query=name, MustBeRequestable=False, MustBeOwnedByCaller=True
    ):
        if qtype.get("Name") == name:
            return qtype
    return None


def guard_ensure(
    *, batch, kind: str, gateway: Gateway, limit: int = 1, row_index: int | None = None
) -> BatchGuard:
    """The batch's guard of this kind (for this row), making its qualification type once.

    Safe to run again after a lost answer or a killed worker: the type is looked for by its
    name (which carries the batch's random launch key) before it is made again.
    """
    found = BatchGuard.objects.filter(batch=batch, kind=kind, row_index=row_index).first()
    if found is not None:
        return found
    name = _guard_name(batch, kind, row_index)
    data = _type_by_name(gateway, name)
    if data is None:
        try:
            data = gateway.call(
                "create_qualification_type",
                Name=name,
                Description=_guard_description(batch, kind, row_index, limit),
                QualificationTypeStatus="Active",
            )["QualificationType"]
        except MTurkRequestError:
            # A first call whose answer was lost made it: the name is taken by our type.
            data = _type_by_name(gateway, name)
            if data is None:
                raise
    qtype = qualification_type_upsert_from_api(
        requester=batch.requester, data=data, fetched_at=timezone.now()
    )
    qtype.group = GUARD_GROUP
    qtype.save(update_fields=["group"])
    try:
        with transaction.atomic():
            return BatchGuard.objects.create(
                requester=batch.requester,
                batch=batch,
                kind=kind,
                row_index=row_index,
                qualification_type=qtype,
                limit=limit,
            )
    except IntegrityError:
        return BatchGuard.objects.get(batch=batch, kind=kind, row_index=row_index)


def guard_requirement(guard: BatchGuard) -> dict:
    """What the guarded HITs require: the worker has not been granted the guard."""
    return {
        "QualificationTypeId": guard.qualification_type.mturk_id,
        "Comparator": "DoesNotExist",
        "ActionsGuarded": "DiscoverPreviewAndAccept",
    }


def guard_assignments(guard: BatchGuard):
    """The assignments that count against the guard."""
    assignments = Assignment.objects.filter(status__in=COUNTED)
    if guard.kind == GuardKind.SIBLINGS:
        # One filter() call: the same batch row must be of the batch and of the split row.
        return assignments.filter(
            hit__batch_rows__batch_id=guard.batch_id,
            hit__batch_rows__source_row=guard.row_index,
        )
    return assignments.filter(hit__batch_rows__batch_id=guard.batch_id)


def guard_counts(guard: BatchGuard, worker_ids=None) -> dict[str, int]:
    """How many counted assignments each worker has against the guard."""
    assignments = guard_assignments(guard)
    if worker_ids is not None:
        assignments = assignments.filter(worker_id__in=list(worker_ids))
    rows = assignments.values("worker_id").annotate(n=Count("pk", distinct=True))
    return {row["worker_id"]: row["n"] for row in rows}


def _granted(guard: BatchGuard, worker_ids) -> set[str]:
    return set(
        QualificationScore.objects.filter(
            qualification_type_id=guard.qualification_type_id,
            worker_id__in=list(worker_ids),
            status="Granted",
        ).values_list("worker_id", flat=True)
    )


def guards_after_submissions(assignment_ids: list[int]) -> None:
    """Queue the guards' grants for these new assignments, once the mirror's writes commit."""
    # Called for every HIT a sync reads: one cheap query when no batch has a guard.
    if not assignment_ids or not BatchGuard.objects.exists():
        return
    guarded = BatchGuard.objects.filter(
        batch__rows__hit__assignments__pk__in=assignment_ids
    ).exists()
    if guarded:
        from apps.qualifications.tasks import guards_grant

        transaction.on_commit(lambda: guards_grant.delay(list(assignment_ids)))


def _grant(guard: BatchGuard, worker_ids: set[str]) -> int:
    """Grant the guard's type to those of these workers at or past its limit without it."""
    counts = guard_counts(guard, worker_ids)
    due = {w for w, n in counts.items() if n >= guard.limit} - _granted(guard, counts)
    if not due:
        return 0
    from apps.qualifications.services import worker_score_set
    from apps.requesters.models import Membership
    from apps.requesters.roles import Role

    # The system acts for the account: an admin's membership carries the right role.
    membership = (
        Membership.objects.filter(requester_id=guard.requester_id, role=Role.ADMIN)
        .select_related("requester")
        .first()
    )
    if membership is None:
        logger.warning("guard %s: the account has no admin to act for it", guard.pk)
        return 0
    granted = 0
    for worker_id in sorted(due):
        try:
            worker_score_set(
                membership=membership,
                actor=None,
                worker_id=worker_id,
                qualification_type=guard.qualification_type,
                value=counts[worker_id],
            )
            granted += 1
        except MTurkError as exc:
            # Reconciliation grants it on its next run.
            logger.warning("guard %s: %s not granted: %s", guard.pk, worker_id, exc)
    return granted


def guards_grant_now(assignment_ids: list[int]) -> int:
    """Grant the guards of these assignments' batches to the workers who reached them."""
    assignments = Assignment.objects.filter(pk__in=assignment_ids)
    workers: dict[int, set[str]] = {}
    for batch_id, worker_id in assignments.values_list("hit__batch_rows__batch_id", "worker_id"):
        if batch_id is not None:
            workers.setdefault(batch_id, set()).add(worker_id)
    granted = 0
    guards = BatchGuard.objects.filter(batch_id__in=list(workers)).select_related(
        "qualification_type"
    )
    for guard in guards:
        granted += _grant(guard, workers[guard.batch_id])
    return granted


def guards_reconcile(*, requester) -> int:
    """Grant every guard of the account to whoever reached it without having it (a lost event,
    a grant that failed, a worker killed mid-grant). Returns how many grants."""
    granted = 0
    guards = BatchGuard.objects.filter(
        requester=requester, qualification_type__gone_at__isnull=True
    ).select_related("qualification_type")
    for guard in guards:
        counts = guard_counts(guard)
        granted += _grant(guard, {w for w, n in counts.items() if n >= guard.limit})
    return granted
