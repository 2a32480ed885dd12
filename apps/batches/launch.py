"""Launching a batch: one CreateHITType, then one CreateHITWithHITType per row, exactly once.

Exactly once rests on three rules:

1. Each row's UniqueRequestToken is derived from the batch's random `launch_key` and the row's
   index, and is committed on the row (with the claim, status `creating`) before the call.
2. Any attempt whose outcome is unknown (a lost answer, a killed worker) is repeated with the
   same token. MTurk then answers "HIT already exists" and names the HIT: the row is done, and
   the HIT is read (GetHIT) into the mirror once the launch has no row left to create, so that
   the reads do not take rate-limit slots from the creations.
3. Rows are claimed with a compare-and-set, and a chunk only re-sends the `creating` rows it
   found when it started (left by a run that died), so live work is not repeated needlessly.

The launch task (`batch_launch_run`) is idempotent: running it again for a batch that is
launching re-dispatches chunk tasks for whatever is not done. Workers run it for every
launching batch when they start (see tasks.py), since a SIGKILLed worker's prefetched tasks are
gone with the file-system broker.

While MTurk cannot be reached at all (connections refused, answers cut off) a row's call is
not counted against its retries: it waits with backoff, marked as retrying on the page, for up
to `outage_patience()` seconds, so that an outage of a few minutes leaves nothing failed.

MTurk honours a token for 24 hours. A row whose token is older than `TOKEN_TTL` is first looked
for at MTurk by its annotation marker; only when it is not there does it get a new token.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.audit.services import audit_record
from apps.batches import commitments, templating
from apps.batches.models import (
    ActionKind,
    Batch,
    BatchAction,
    BatchRow,
    BatchStatus,
    RowStatus,
    batch_transition,
)
from apps.hits.models import HIT, HITType
from apps.hits.upserts import hit_type_upsert_from_api, hit_upsert_from_api
from apps.mturk.concurrency import Watch, run_each
from apps.mturk.errors import (
    MTurkDuplicateRequest,
    MTurkError,
    MTurkInsufficientFunds,
    MTurkNoResponse,
    MTurkUnavailable,
)
from apps.mturk.gateway import Gateway
from apps.notifications.services import hit_type_notifications_configure
from apps.qualifications.guards import guard_ensure, guard_requirement
from apps.qualifications.models import GuardKind
from apps.requesters.access import still_allowed
from apps.requesters.roles import Action
from apps.requesters.services import CredentialsMissing, requester_gateway

logger = logging.getLogger(__name__)

TOKEN_TTL = timedelta(hours=23)
ROW_RETRIES = 4
_HIT_ID_IN_MESSAGE = re.compile(r"HIT with ID `?([A-Z0-9]{10,64})`?")


def chunk_size() -> int:
    return getattr(settings, "BATCH_LAUNCH_CHUNK", 100)


def chunk_threads() -> int:
    return getattr(settings, "BATCH_LAUNCH_THREADS", 8)


def outage_patience() -> float:
    """Seconds a row keeps retrying while MTurk cannot be reached, before it is failed."""
    return getattr(settings, "BATCH_LAUNCH_OUTAGE_SECONDS", 600)


def _launcher_still_allowed(batch: Batch) -> bool:
    """Whether the person who launched the batch may still launch for its account; if not, the
    launch stops (a failed launch, which a manager can resume) and says why."""
    if still_allowed(
        user_id=batch.launched_by_id, requester_id=batch.requester_id, action=Action.LAUNCH
    ):
        return True
    who = batch.launched_by.get_username() if batch.launched_by else "its launcher"
    error = (
        f"The launch stopped: {who} may no longer launch batches for {batch.requester.name}. "
        "A manager can resume it."
    )
    fresh = Batch.objects.filter(pk=batch.pk).first()
    if fresh is not None and batch_transition(fresh, BatchStatus.FAILED, error=error):
        audit_record(
            actor=None,
            requester=batch.requester,
            action="batch.stop",
            target_type="batch",
            target_id=batch.pk,
            details={"reason": "the launcher's role no longer allows launching", "by": who},
        )
    return False


def row_token(batch: Batch, index: int, salt: str = "") -> str:
    token = f"mturkdash-{batch.launch_key}-{index}"
    return f"{token}-{salt}" if salt else token


def row_marker(batch: Batch, index: int) -> str:
    """Put at the start of the RequesterAnnotation: finds the row's HIT without the token."""
    return f"mturkdash:{batch.launch_key}:{index}"


def row_annotation(batch: Batch, index: int) -> str:
    annotation = batch.launch_properties.get("annotation", "")
    return f"{row_marker(batch, index)} {annotation}".strip()[:255]


def row_question(batch: Batch, values: dict) -> str:
    props = batch.launch_properties
    return templating.question(
        props["template"], values, kind=props["question_kind"], frame_height=props["frame_height"]
    )


# --- the launch task -----------------------------------------------------------------------


def batch_launch_run(batch_id: int) -> None:
    """Make sure the batch has its HIT type, then hand its unfinished rows to chunk tasks.

    The first chunk runs here (no wait for the broker to hand it over); the others are queued
    as `batch_chunk_task`s, which several workers may run at once.
    """
    from apps.batches.tasks import batch_chunk_task

    batch = Batch.objects.select_related("requester").filter(pk=batch_id).first()
    if batch is None or batch.status not in (BatchStatus.LAUNCHING, BatchStatus.CANCELLING):
        return
    if batch.status == BatchStatus.LAUNCHING and not _launcher_still_allowed(batch):
        return
    if batch.status == BatchStatus.LAUNCHING:
        try:
            gateway = requester_gateway(batch.requester)
            _hit_types_ensure(batch, gateway)
        except (MTurkError, CredentialsMissing) as exc:
            logger.warning("batch %s: no HIT type: %s", batch.pk, exc)
            batch_transition(batch, BatchStatus.FAILED, error=f"CreateHITType failed: {exc}")
            return
    unfinished = BatchRow.objects.filter(batch=batch, status=RowStatus.CREATING)
    if batch.status == BatchStatus.LAUNCHING:
        unfinished = BatchRow.objects.filter(
            batch=batch, status__in=[RowStatus.PENDING, RowStatus.CREATING]
        )
    indexes = list(unfinished.order_by("index").values_list("index", flat=True))
    if not indexes:
        batch_finish_if_done(batch.pk)
        return
    size = chunk_size()
    parts = [indexes[start : start + size] for start in range(0, len(indexes), size)]
    for part in parts[1:]:
        batch_chunk_task.delay(batch.pk, part[0], part[-1])
    batch_chunk_run(batch.pk, parts[0][0], parts[0][-1])


def _retry_delay(
    exc: MTurkError, attempt: int, unreachable_since: float | None, *, base: float
) -> tuple[float | None, float | None]:
    """Seconds to wait before trying a failed call again (None: give up), and since when MTurk
    has been unreachable. An unreachable MTurk is waited out for `outage_patience()` seconds
    without counting against ROW_RETRIES; other retryable errors get ROW_RETRIES tries."""
    now = time.monotonic()
    if isinstance(exc, MTurkUnavailable | MTurkNoResponse):
        unreachable_since = unreachable_since or now
    else:
        unreachable_since = None
    waiting_out = unreachable_since is not None and now - unreachable_since < outage_patience()
    if not (exc.retryable or exc.outcome_unknown) or not (waiting_out or attempt < ROW_RETRIES):
        return None, unreachable_since
    return min(5 if waiting_out else 8, base * 2 ** min(attempt + 1, 6)), unreachable_since


def _hit_types_ensure(batch: Batch, gateway: Gateway) -> None:
    """The batch's HIT type, with its guards: a per-worker cap, and the sibling qualification
    of each split row (apps/qualifications/guards.py). The parts of a split row require their
    row's sibling type, so when several rows are split each has a HIT type of its own; a single
    split row (a study) puts its guard on the batch's type. Safe to run again."""
    props = batch.launch_properties
    shared = []
    if props.get("worker_cap"):
        cap = guard_ensure(
            batch=batch, kind=GuardKind.CAP, gateway=gateway, limit=props["worker_cap"]
        )
        shared.append(guard_requirement(cap))
    split_rows = sorted(
        set(BatchRow.objects.filter(batch=batch, part__gt=0).values_list("source_row", flat=True))
    )

    def siblings(source_row: int) -> dict:
        guard = guard_ensure(
            batch=batch, kind=GuardKind.SIBLINGS, gateway=gateway, row_index=source_row
        )
        return guard_requirement(guard)

    if not batch.hit_type_mturk_id:
        own = [siblings(split_rows[0])] if len(split_rows) == 1 else []
        hit_type_id = _hit_type_make(batch, gateway, shared + own)
        Batch.objects.filter(pk=batch.pk).update(hit_type_mturk_id=hit_type_id)
        batch.hit_type_mturk_id = hit_type_id
    if len(split_rows) > 1:
        untyped = BatchRow.objects.filter(batch=batch, part__gt=0, hit_type_mturk_id="")
        for source_row in sorted(set(untyped.values_list("source_row", flat=True))):
            hit_type_id = _hit_type_make(batch, gateway, [*shared, siblings(source_row)])
            untyped.filter(source_row=source_row).update(hit_type_mturk_id=hit_type_id)


def _hit_type_make(batch: Batch, gateway: Gateway, guards: list[dict]) -> str:
    """CreateHITType with the batch's properties and these guard requirements; mirrored, with
    its notifications set."""
    props = batch.launch_properties
    params = {
        "AutoApprovalDelayInSeconds": props["auto_approval_delay"],
        "AssignmentDurationInSeconds": props["assignment_duration"],
        "Reward": props["reward"],
        "Title": props["title"],
        "Keywords": props["keywords"],
        "Description": props["description"],
        "QualificationRequirements": [*props["qualification_requirements"], *guards],
    }
    attempt = 0
    unreachable_since: float | None = None
    while True:
        try:
            hit_type_id = gateway.call("create_hit_type", **params)["HITTypeId"]
            break
        except MTurkError as exc:
            # CreateHITType is idempotent by nature (same properties, same id): just repeat.
            delay, unreachable_since = _retry_delay(exc, attempt, unreachable_since, base=0.5)
            if delay is None:
                raise
            attempt += 1
            time.sleep(delay)
    hit_type_upsert_from_api(
        requester=batch.requester,
        data={"HITTypeId": hit_type_id, **params},
        fetched_at=timezone.now(),
    )
    try:
        hit_type_notifications_configure(
            requester=batch.requester, hit_type_id=hit_type_id, actor=batch.launched_by
        )
    except MTurkError as exc:
        # The HITs still get launched: reconciliation sees them; the page says what failed.
        Batch.objects.filter(pk=batch.pk).update(
            error=f"Notifications could not be set for the HIT type: {exc}"
        )
    return hit_type_id


# --- chunks --------------------------------------------------------------------------------


def batch_chunk_run(batch_id: int, first_index: int, last_index: int) -> None:
    """Create the HITs of the batch's unfinished rows with index in [first, last]."""
    batch = Batch.objects.select_related("requester").filter(pk=batch_id).first()
    if batch is None or batch.status not in (BatchStatus.LAUNCHING, BatchStatus.CANCELLING):
        return
    rows = BatchRow.objects.filter(batch=batch, index__gte=first_index, index__lte=last_index)
    # Rows already `creating` when the chunk starts were left by a run that died.
    orphans = set(rows.filter(status=RowStatus.CREATING).values_list("pk", flat=True))
    todo = list(
        rows.filter(Q(status=RowStatus.PENDING) | Q(pk__in=orphans))
        .order_by("index")
        .values_list("pk", flat=True)
    )
    if todo and batch.status == BatchStatus.LAUNCHING and not _launcher_still_allowed(batch):
        todo = []
    if todo:
        gateway = requester_gateway(batch.requester)
        hit_type = HITType.objects.filter(
            requester=batch.requester, mturk_id=batch.hit_type_mturk_id
        ).first()
        watch = Watch(
            lambda: Batch.objects.filter(pk=batch.pk).values_list("status", flat=True).first() or ""
        )
        markers = _MarkerIndex(gateway, batch)
        allowed = Watch(lambda: _launcher_still_allowed(batch), every=1.0)

        def create(pk: int) -> str:
            if watch() == BatchStatus.LAUNCHING and not allowed():
                return RowStatus.PENDING  # the launch was stopped: the row waits for a resume
            return row_create(
                batch, pk, gateway, hit_type, orphan=pk in orphans, watch=watch, markers=markers
            )

        # No stop(): a cancelled launch still settles the rows in flight; row_create reads the
        # watch and leaves pending rows alone once the batch is cancelling.
        for outcome in run_each(todo, create, threads=chunk_threads(), name="launch"):
            if outcome.error is not None:
                logger.error("batch %s: row %s", batch.pk, outcome.item, exc_info=outcome.error)
    batch_finish_if_done(batch.pk)


class _MarkerIndex:
    """The account's HITs by row marker, listed once per chunk (and again only when a marker is
    missing and a fresh listing is asked for): finding rows by marker costs ListHITs pages."""

    def __init__(self, gateway: Gateway, batch: Batch) -> None:
        self.gateway = gateway
        self.prefix = f"mturkdash:{batch.launch_key}:"
        self._hits: dict[str, dict] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[str, dict]:
        found = {}
        for hit in self.gateway.paginate("list_hits"):
            marker = hit.get("RequesterAnnotation", "").split(" ", 1)[0]
            if marker.startswith(self.prefix):
                found[marker] = hit
        return found

    def find(self, batch: Batch, index: int, *, fresh: bool = False) -> dict | None:
        marker = row_marker(batch, index)
        with self._lock:
            if self._hits is None or (fresh and marker not in self._hits):
                self._hits = self._load()
            return self._hits.get(marker)


def _hit_for_duplicate(
    markers: _MarkerIndex, batch: Batch, index: int, exc: MTurkDuplicateRequest
) -> str | dict:
    """The existing HIT: its id when MTurk names it (read after the launch), else its payload
    found by the row's annotation marker."""
    match = _HIT_ID_IN_MESSAGE.search(exc.message)
    if match:
        return match.group(1)
    found = markers.find(batch, index, fresh=True)
    if found is None:
        raise MTurkError(
            "MTurk says this row's HIT exists, but it names none and none carries the row's "
            "marker.",
            operation="create_hit_with_hit_type",
        )
    return found


def _token_for(batch: Batch, row: BatchRow, markers: _MarkerIndex) -> tuple[str, object] | dict:
    """The token to send, or the row's HIT payload when an expired token's HIT is at MTurk."""
    now = timezone.now()
    if not row.unique_request_token:
        return row_token(batch, row.index), now
    if row.token_issued_at and now - row.token_issued_at > TOKEN_TTL:
        found = markers.find(batch, row.index)
        if found is not None:
            return found
        return row_token(batch, row.index, secrets.token_hex(3)), now
    return row.unique_request_token, row.token_issued_at


def row_create(
    batch: Batch,
    row_pk: int,
    gateway: Gateway,
    hit_type: HITType | None,
    *,
    orphan: bool = False,
    watch: Watch[str] | None = None,
    markers: _MarkerIndex | None = None,
) -> str:
    """Create one row's HIT (exactly once); returns the row's resulting status."""
    markers = markers or _MarkerIndex(gateway, batch)
    row = BatchRow.objects.get(pk=row_pk)
    if row.hit_type_mturk_id:
        hit_type = HITType.objects.filter(
            requester=batch.requester, mturk_id=row.hit_type_mturk_id
        ).first()
    status = watch() if watch else batch.status
    token = _row_claim(batch, row, hit_type, markers, orphan=orphan, batch_status=status)
    if isinstance(token, RowStatus):
        return token
    # The token is committed (autocommit) before the call below.
    return _row_call(batch, row, token, gateway, hit_type, markers)


def _row_claim(
    batch: Batch,
    row: BatchRow,
    hit_type: HITType | None,
    markers: _MarkerIndex,
    *,
    orphan: bool,
    batch_status: str,
) -> str | RowStatus:
    """Claim the row (compare-and-set) with the token to send, and return that token; or the
    row's status when there is nothing to send (not ours to create, or already done)."""
    if row.status == RowStatus.PENDING:
        if batch_status != BatchStatus.LAUNCHING:
            return RowStatus(row.status)
        expected, claimed_by = RowStatus.PENDING, {"status": RowStatus.PENDING}
    elif row.status == RowStatus.CREATING and orphan:
        # Left by a run that died, maybe mid-call: same token, unless MTurk has forgotten it.
        expected = RowStatus.CREATING
        claimed_by = {"status": RowStatus.CREATING, "attempts": row.attempts}
    else:
        return RowStatus(row.status)
    token = _token_for(batch, row, markers)
    if isinstance(token, dict):
        _row_mark_created(batch, row, token, hit_type, expected=expected)
        return RowStatus.CREATED
    token, issued_at = token
    fields = {
        "claimed_at": timezone.now(),
        "attempts": F("attempts") + 1,
        "unique_request_token": token,
        "token_issued_at": issued_at,
    }
    if expected == RowStatus.PENDING:
        fields.update(status=RowStatus.CREATING, error="")
    claimed = BatchRow.objects.filter(pk=row.pk, **claimed_by).update(**fields)
    return token if claimed else RowStatus(row.status)


def _row_call(
    batch: Batch,
    row: BatchRow,
    token: str,
    gateway: Gateway,
    hit_type: HITType | None,
    markers: _MarkerIndex,
) -> str:
    """CreateHITWithHITType with the row's token, retried while MTurk may still answer."""
    attempt = 0
    unreachable_since: float | None = None
    while True:
        try:
            data = gateway.call(
                "create_hit_with_hit_type",
                HITTypeId=row.hit_type_mturk_id or batch.hit_type_mturk_id,
                MaxAssignments=row.assignments or batch.launch_properties["max_assignments"],
                LifetimeInSeconds=batch.launch_properties["lifetime"],
                Question=row_question(batch, row.values),
                RequesterAnnotation=row_annotation(batch, row.index),
                UniqueRequestToken=token,
            )["HIT"]
            break
        except MTurkDuplicateRequest as exc:
            try:
                data = _hit_for_duplicate(markers, batch, row.index, exc)
            except MTurkError as lookup_error:
                return _row_fail(row, lookup_error)
            if isinstance(data, str):
                _row_mark_resolved(batch, row, data)
                return RowStatus.CREATED
            break
        except MTurkInsufficientFunds as exc:
            # Every further row would fail the same way: stop the launch; a retry resumes.
            BatchRow.objects.filter(pk=row.pk, status=RowStatus.CREATING).update(
                status=RowStatus.PENDING, error=str(exc)
            )
            fresh = Batch.objects.get(pk=batch.pk)
            batch_transition(
                fresh, BatchStatus.FAILED, error=f"The account's balance ran out: {exc}"
            )
            return RowStatus.PENDING
        except MTurkError as exc:
            delay, unreachable_since = _retry_delay(exc, attempt, unreachable_since, base=0.25)
            if delay is None:
                return _row_fail(row, exc)
            attempt += 1
            # Shown on the batch page (the row stays `creating`, same token).
            BatchRow.objects.filter(pk=row.pk, status=RowStatus.CREATING).update(
                error=f"Retrying (attempt {attempt + 1}): {exc}"[:2000]
            )
            time.sleep(delay)
    _row_mark_created(batch, row, data, hit_type, expected=RowStatus.CREATING)
    return RowStatus.CREATED


def _row_fail(row: BatchRow, exc: Exception) -> str:
    BatchRow.objects.filter(pk=row.pk, status=RowStatus.CREATING).update(
        status=RowStatus.FAILED, error=str(exc)[:2000]
    )
    return RowStatus.FAILED


def _row_mark_created(
    batch: Batch, row: BatchRow, data: dict, hit_type: HITType | None, *, expected: str
) -> None:
    hit, _ = hit_upsert_from_api(
        requester=batch.requester, data=data, fetched_at=timezone.now(), hit_type=hit_type
    )
    BatchRow.objects.filter(pk=row.pk, status=expected).update(
        status=RowStatus.CREATED,
        hit=hit,
        hit_mturk_id=data["HITId"],
        created_at_mturk=data.get("CreationTime"),
        error="",
    )


def _row_mark_resolved(batch: Batch, row: BatchRow, hit_id: str) -> None:
    """MTurk named the row's existing HIT: the row is done; the HIT is read after the launch
    (`batch_rows_read`), so that the reads do not hold up the creations under the rate limit."""
    BatchRow.objects.filter(pk=row.pk, status=RowStatus.CREATING).update(
        status=RowStatus.CREATED,
        hit=HIT.objects.filter(requester=batch.requester, mturk_id=hit_id).first(),
        hit_mturk_id=hit_id,
        error="",
    )


def batch_rows_read(batch: Batch, gateway: Gateway | None = None) -> int:
    """Read (GetHIT) and mirror the created HITs of the batch not yet in the mirror."""
    unread = BatchRow.objects.filter(batch=batch, status=RowStatus.CREATED, hit__isnull=True)
    read = 0
    for row in unread.order_by("index"):
        known = HIT.objects.filter(requester=batch.requester, mturk_id=row.hit_mturk_id).first()
        if known is None:
            gateway = gateway or requester_gateway(batch.requester)
            try:
                data = gateway.call("get_hit", HITId=row.hit_mturk_id)["HIT"]
            except MTurkError as exc:
                logger.warning("batch %s: cannot read %s: %s", batch.pk, row.hit_mturk_id, exc)
                continue
            known, _ = hit_upsert_from_api(
                requester=batch.requester, data=data, fetched_at=timezone.now()
            )
            read += 1
            BatchRow.objects.filter(pk=row.pk).update(created_at_mturk=data.get("CreationTime"))
        BatchRow.objects.filter(pk=row.pk, hit__isnull=True).update(hit=known)
    return read


def batch_finish_if_done(batch_id: int) -> None:
    """Close the launch once no row is left to create (or, when cancelling, in flight)."""
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        return
    rows = BatchRow.objects.filter(batch=batch)
    now = timezone.now()
    if batch.status == BatchStatus.LAUNCHING:
        if not rows.filter(
            status__in=[RowStatus.PENDING, RowStatus.CREATING]
        ).exists() and batch_transition(batch, BatchStatus.LAUNCHED, launch_finished_at=now):
            batch_rows_read(batch)
    elif (
        batch.status == BatchStatus.CANCELLING
        and not rows.filter(status=RowStatus.CREATING).exists()
        and batch_transition(batch, BatchStatus.CANCELLED, launch_finished_at=now)
    ):
        commitments.rows_not_created_release(batch)
        batch_rows_read(batch)
        if batch.expire_on_cancel:
            batch_expire_after_cancel(batch)


def batch_expire_after_cancel(batch: Batch) -> BatchAction | None:
    """Expire the HITs a cancelled launch made, as a bulk action run by `batch_action_task`."""
    from apps.batches.tasks import batch_action_task

    hit_ids = list(
        HIT.objects.filter(batch_rows__batch=batch, gone_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if not hit_ids:
        return None
    with transaction.atomic():
        action = BatchAction.objects.create(
            batch=batch,
            kind=ActionKind.EXPIRE,
            hit_ids=hit_ids,
            total=len(hit_ids),
            created_by=batch.cancelled_by or batch.launched_by,
        )
        audit_record(
            actor=None,
            requester=batch.requester,
            action="batch.expire",
            target_type="batch",
            target_id=batch.pk,
            details={"hits": len(hit_ids), "reason": "cancelled launch"},
        )
    transaction.on_commit(lambda: batch_action_task.delay(action.pk))
    return action
