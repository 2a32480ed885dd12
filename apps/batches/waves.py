"""Gradual release: a batch's HITs published `wave_size` at a time, the next wave when the last
is `wave_done_percent`% done or every `wave_every_minutes`, until every row is out.

A few HITs at a time keep a study near the top of workers' lists and spread it over the day's
time zones. How it rests on the launch:

- The first launch commits the whole batch (every row's rewards and fees) and checks the
  balance for all of it; `batch_waves_begin` then holds every row past the first wave
  (`RowStatus.HELD`), which the launch leaves alone. A batch whose only rows left are held is
  `launched` between waves.
- `batch_wave_release` moves the next `wave_size` held rows (by index) to pending with a
  compare-and-set, records the wave (its number is unique per batch, so two releases racing
  make one wave), moves the batch `launched -> launching` and queues the launch task once the
  transaction commits. A wave commits no money: the launch counted it.
- `batch_waves_due` (beat, every minute) releases the waves whose condition is met, and starts
  again the launch of a wave whose task never ran (a worker killed between the release and the
  queueing): every release is safe to repeat, every launch is idempotent.
- A cancelled batch releases nothing more; its held rows are never created, and the money
  committed for them is given back with the rows a cancelled launch did not create
  (`commitments.rows_not_created_release`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.audit.services import audit_record
from apps.batches.models import Batch, BatchRow, BatchStatus, BatchWave, RowStatus, batch_transition
from apps.hits.models import Assignment
from apps.requesters.access import refusal
from apps.requesters.models import Membership
from apps.requesters.roles import Action, role_allows

logger = logging.getLogger(__name__)

# A released wave whose rows are still all pending this long after, with no row claimed
# meanwhile, lost its launch task: the beat queues it again.
STALLED_AFTER = timedelta(minutes=2)


class Reason:
    LAUNCH = "launch"
    DONE = "done"
    TIMER = "timer"
    MANUAL = "manual"


REASON_LABELS = {
    Reason.LAUNCH: "the launch",
    Reason.DONE: "the wave before was done enough",
    Reason.TIMER: "the minutes between waves passed",
    Reason.MANUAL: "released by hand",
}


def _require(membership: Membership, batch: Batch) -> None:
    if not role_allows(membership.role, Action.LAUNCH):
        raise PermissionDenied(refusal(membership, Action.LAUNCH))
    if batch.requester_id != membership.requester_id:
        raise PermissionDenied("This batch belongs to another account.")


# --- planning, before the launch -------------------------------------------------------------


def batch_waves_plan(
    *,
    membership: Membership,
    actor,
    batch: Batch,
    size: int | None,
    done_percent: int | None = None,
    every_minutes: int | None = None,
) -> Batch:
    """Set (or, with `size` None, clear) how a batch not yet launched is released: `size` HITs
    per wave, the next when the last is `done_percent`% done and/or every `every_minutes`."""
    _require(membership, batch)
    if size is None:
        done_percent = every_minutes = None
    else:
        rows = BatchRow.objects.filter(batch=batch).count()
        errors = []
        if size < 1:
            errors.append("A wave has at least one HIT.")
        elif size > rows:
            errors.append(f"A wave has at most the batch's {rows} HITs.")
        if done_percent is not None and not 1 <= done_percent <= 100:
            errors.append("The percentage done is between 1 and 100.")
        if every_minutes is not None and every_minutes < 1:
            errors.append("Waves are at least one minute apart.")
        if done_percent is None and every_minutes is None:
            errors.append("Say when the next wave goes: a percentage done, minutes, or both.")
        if errors:
            raise ValidationError(errors)
    fields = {
        "wave_size": size,
        "wave_done_percent": done_percent,
        "wave_every_minutes": every_minutes,
    }
    with transaction.atomic():
        changed = Batch.objects.filter(pk=batch.pk, status=BatchStatus.VALIDATED).update(**fields)
        if not changed:
            raise ValidationError("Waves are planned before the launch; this batch has launched.")
        audit_record(
            actor=actor,
            requester=batch.requester,
            action="batch.waves_plan",
            target_type="batch",
            target_id=batch.pk,
            details={"hits_per_wave": size, "done_percent": done_percent, "every": every_minutes},
        )
    for name, value in fields.items():
        setattr(batch, name, value)
    return batch


# --- releasing -------------------------------------------------------------------------------


def _wave_record(batch: Batch, number: int, indexes: list[int], *, reason: str, actor, now):
    wave = BatchWave.objects.create(
        batch=batch,
        number=number,
        rows=len(indexes),
        first_index=indexes[0],
        last_index=indexes[-1],
        released_at=now,
        released_by=actor if getattr(actor, "is_authenticated", False) else None,
        reason=reason,
    )
    audit_record(
        actor=actor,
        requester=batch.requester,
        action="batch.wave",
        target_type="batch",
        target_id=batch.pk,
        details={"wave": number, "hits": len(indexes), "reason": reason},
    )
    return wave


def batch_waves_begin(batch: Batch, *, now: datetime | None = None) -> BatchWave | None:
    """On the first launch of a batch released in waves, hold every row past the first
    `wave_size` (by index) and record wave 1. None when the batch is released at once.

    Called inside the launch's transaction, once the rows are final and before the launch task
    is queued; called again, it changes nothing and returns wave 1.
    """
    if not batch.wave_size:
        return None
    existing = BatchWave.objects.filter(batch=batch, number=1).first()
    if existing is not None:
        return existing
    indexes = list(
        BatchRow.objects.filter(batch=batch, status=RowStatus.PENDING)
        .order_by("index")
        .values_list("index", flat=True)[: batch.wave_size]
    )
    if not indexes:
        return None
    BatchRow.objects.filter(batch=batch, status=RowStatus.PENDING, index__gt=indexes[-1]).update(
        status=RowStatus.HELD
    )
    return _wave_record(
        batch,
        1,
        indexes,
        reason=Reason.LAUNCH,
        actor=batch.launched_by,
        now=now or timezone.now(),
    )


def batch_wave_release(
    *,
    batch: Batch,
    reason: str,
    actor=None,
    after: int | None = None,
    now: datetime | None = None,
) -> BatchWave | None:
    """Release the next wave: the next `wave_size` held rows (by index) become pending and the
    launch creates their HITs. Returns the wave, or None when nothing was released (no held
    row, a batch neither launched nor launching, paused unless released by hand, or `after`
    given and the last wave is no longer that one: what the caller decided on has changed).

    Two releases at once make one wave: the batch is locked, the rows are moved with a
    compare-and-set and the wave's number is unique.
    """
    from apps.batches.tasks import batch_launch_task

    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = Batch.objects.select_for_update().get(pk=batch.pk)
            if locked.status not in (BatchStatus.LAUNCHED, BatchStatus.LAUNCHING):
                return None
            if not locked.wave_size or (locked.waves_paused and reason != Reason.MANUAL):
                return None
            last = BatchWave.objects.filter(batch=locked).aggregate(n=Max("number"))["n"] or 0
            if after is not None and last != after:
                return None
            held = BatchRow.objects.filter(batch=locked, status=RowStatus.HELD)
            indexes = list(
                held.order_by("index").values_list("index", flat=True)[: locked.wave_size]
            )
            if not indexes:
                return None
            moved = held.filter(index__in=indexes).update(status=RowStatus.PENDING)
            if moved != len(indexes):
                # Another release took some of these rows: this one releases nothing.
                raise _Lost
            if locked.status == BatchStatus.LAUNCHED and not batch_transition(
                locked, BatchStatus.LAUNCHING, launch_finished_at=None
            ):
                raise _Lost
            wave = _wave_record(locked, last + 1, indexes, reason=reason, actor=actor, now=now)
            transaction.on_commit(lambda: batch_launch_task.delay(locked.pk))
    except (_Lost, IntegrityError):
        return None
    batch.status = locked.status
    return wave


class _Lost(Exception):
    """A concurrent release won: roll this one back."""


def batch_wave_release_now(
    *, membership: Membership, actor, batch: Batch, after: int | None = None
) -> BatchWave:
    """A manager releases the next wave by hand (even while paused). `after` is the last wave
    the person saw: a double click, or a wave released meanwhile, releases nothing more."""
    _require(membership, batch)
    wave = batch_wave_release(batch=batch, reason=Reason.MANUAL, actor=actor, after=after)
    if wave is None:
        fresh = Batch.objects.get(pk=batch.pk)
        if fresh.status not in (BatchStatus.LAUNCHED, BatchStatus.LAUNCHING):
            raise ValidationError(
                f"A {fresh.get_status_display().lower()} batch releases no more waves."
            )
        if not fresh.rows.filter(status=RowStatus.HELD).exists():
            raise ValidationError("Every HIT of this batch is released already.")
        raise ValidationError("A wave was released meanwhile; look at the waves again.")
    return wave


def _paused_set(*, membership: Membership, actor, batch: Batch, paused: bool) -> bool:
    _require(membership, batch)
    with transaction.atomic():
        changed = Batch.objects.filter(
            pk=batch.pk, waves_paused=not paused, wave_size__isnull=False
        ).update(waves_paused=paused)
        if changed:
            audit_record(
                actor=actor,
                requester=batch.requester,
                action="batch.waves_pause" if paused else "batch.waves_resume",
                target_type="batch",
                target_id=batch.pk,
                details={},
            )
    batch.waves_paused = paused if changed else batch.waves_paused
    return bool(changed)


def batch_waves_pause(*, membership: Membership, actor, batch: Batch) -> bool:
    """No wave is released by its condition until resumed (one by hand still can be). True
    when this call paused it (False: it was paused already)."""
    return _paused_set(membership=membership, actor=actor, batch=batch, paused=True)


def batch_waves_resume(*, membership: Membership, actor, batch: Batch) -> bool:
    """Waves are released by their condition again; one that came due meanwhile goes at the
    next beat."""
    return _paused_set(membership=membership, actor=actor, batch=batch, paused=False)


def batch_waves_cancel(*, membership: Membership, actor, batch: Batch, expire: bool) -> None:
    """Stop a batch between waves: its held rows are never created and the money committed for
    them is given back; with `expire`, the HITs already out are expired.

    Between waves the batch is `launched`: it goes through `launching` (a relaunch) to
    `cancelling` in one transaction, the transitions a cancel takes, so the launch task closes
    it as it closes any cancelled launch.
    """
    from apps.batches import services

    _require(membership, batch)
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.status == BatchStatus.LAUNCHED:
            if not locked.rows.filter(status=RowStatus.HELD).exists():
                raise ValidationError("Every HIT of this batch is out: there is no wave to stop.")
            if not batch_transition(locked, BatchStatus.LAUNCHING):
                raise ValidationError("The batch changed meanwhile; reload the page.")
        services.batch_cancel(membership=membership, actor=actor, batch=locked, expire=expire)
    batch.status = BatchStatus.CANCELLING


# --- progress and the beat -------------------------------------------------------------------


@dataclass
class WaveProgress:
    submitted: int
    asked: int

    @property
    def percent(self) -> int:
        """Whole percent done, rounded down (a wave is 100% only when it is)."""
        return self.submitted * 100 // self.asked if self.asked else 0


def _asked(batch: Batch):
    default = batch.launch_properties.get("max_assignments") or batch.project.max_assignments
    return Coalesce(F("hit__max_assignments"), F("assignments"), Value(default))


def _submitted():
    per_hit = (
        Assignment.objects.filter(hit_id=OuterRef("hit_id"))
        .order_by()
        .values("hit_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(per_hit, output_field=IntegerField()), Value(0))


def waves_progress(batch: Batch, waves: list[BatchWave]) -> dict[int, WaveProgress]:
    """Each wave's submitted assignments over the assignments its HITs ask for, by number, in
    one query (rows not created yet count what they will ask for)."""
    if not waves:
        return {}
    which = Case(
        *[
            When(index__gte=w.first_index, index__lte=w.last_index, then=Value(w.number))
            for w in waves
        ],
        output_field=IntegerField(),
    )
    sums = (
        BatchRow.objects.filter(batch=batch)
        .exclude(status=RowStatus.HELD)
        .annotate(wave=which)
        .filter(wave__isnull=False)
        .values("wave")
        .annotate(asked=Sum(_asked(batch)), submitted=Sum(_submitted()))
        .order_by()
    )
    found = {s["wave"]: WaveProgress(s["submitted"] or 0, s["asked"] or 0) for s in sums}
    return {w.number: found.get(w.number, WaveProgress(0, 0)) for w in waves}


def wave_progress(batch: Batch, wave: BatchWave) -> WaveProgress:
    """One wave's progress, in one aggregate query."""
    sums = BatchRow.objects.filter(
        batch=batch, index__gte=wave.first_index, index__lte=wave.last_index
    ).aggregate(asked=Sum(_asked(batch)), submitted=Sum(_submitted()))
    return WaveProgress(sums["submitted"] or 0, sums["asked"] or 0)


def next_wave_due(batch: Batch, last: BatchWave, progress: WaveProgress, now: datetime):
    """Why the next wave goes now ("done" or "timer"), or None while neither condition is met."""
    if batch.wave_done_percent and progress.percent >= batch.wave_done_percent:
        return Reason.DONE
    if batch.wave_every_minutes and now >= last.released_at + timedelta(
        minutes=batch.wave_every_minutes
    ):
        return Reason.TIMER
    return None


def _stalled_restart(now: datetime) -> list[int]:
    """Queue again the launch of released waves whose task never ran: a launched batch with
    pending rows (its launch closed as the wave was released), or a launching one whose
    pending rows nobody claimed since the wave went out."""
    from apps.batches.tasks import batch_launch_task

    restarted = []
    pending = Q(rows__status=RowStatus.PENDING)
    candidates = (
        Batch.objects.filter(wave_size__isnull=False)
        .filter(status__in=[BatchStatus.LAUNCHED, BatchStatus.LAUNCHING])
        .filter(pending)
        .distinct()
    )
    for batch in candidates:
        if batch.status == BatchStatus.LAUNCHING:
            last = batch.waves.order_by("-number").first()
            recent = now - STALLED_AFTER
            if (last is not None and last.released_at > recent) or batch.rows.filter(
                claimed_at__gt=recent
            ).exists():
                continue
        elif not batch_transition(batch, BatchStatus.LAUNCHING, launch_finished_at=None):
            continue
        logger.info("batch %s: the launch of its last wave is queued again", batch.pk)
        transaction.on_commit(lambda pk=batch.pk: batch_launch_task.delay(pk))
        restarted.append(batch.pk)
    return restarted


def batch_waves_due(now: datetime | None = None) -> list[BatchWave]:
    """The beat's minute: release every wave whose condition is met (launched batches with held
    rows, not paused), and queue again any released wave's launch that never ran."""
    now = now or timezone.now()
    _stalled_restart(now)
    released = []
    batches = (
        Batch.objects.filter(
            status=BatchStatus.LAUNCHED, wave_size__isnull=False, waves_paused=False
        )
        .filter(rows__status=RowStatus.HELD)
        .distinct()
        .select_related("requester", "project")
    )
    for batch in batches:
        last = batch.waves.order_by("-number").first()
        if last is None:
            continue
        reason = next_wave_due(batch, last, wave_progress(batch, last), now)
        if reason is None:
            continue
        wave = batch_wave_release(batch=batch, reason=reason, after=last.number, now=now)
        if wave is not None:
            released.append(wave)
    return released


# --- the page --------------------------------------------------------------------------------


@dataclass
class WaveLine:
    """One line of the waves table."""

    wave: BatchWave
    progress: WaveProgress

    @property
    def why(self) -> str:
        return REASON_LABELS.get(self.wave.reason, self.wave.reason)


@dataclass
class WavesView:
    """What the batch page shows of a gradual release."""

    waves: list[WaveLine]
    held: int
    held_rows: list[BatchRow]
    next_size: int
    condition: str

    @property
    def last(self) -> BatchWave | None:
        return self.waves[-1].wave if self.waves else None


def _minutes(n: int) -> str:
    return f"{n} minute{'s' if n != 1 else ''}"


def _condition(batch: Batch, last, progress, held: int, next_size: int) -> str:
    """The next wave's condition in words, with where it stands now."""
    if batch.status in (BatchStatus.CANCELLING, BatchStatus.CANCELLED):
        return (
            f"Cancelled: the {held} HIT{'s' if held != 1 else ''} still held will not be released."
        )
    if not held:
        return "Every HIT is released."
    if last is None:
        return ""
    hits = f"next {next_size} HIT{'s' if next_size != 1 else ''}"
    parts = []
    if batch.wave_done_percent:
        parts.append(
            f"when wave {last.number} is {batch.wave_done_percent}% done: now {progress.percent}%"
        )
    if batch.wave_every_minutes:
        at = last.released_at + timedelta(minutes=batch.wave_every_minutes)
        parts.append(
            f"at {at:%H:%M} UTC ({_minutes(batch.wave_every_minutes)} after wave {last.number})"
        )
    words = f"{hits} {' or '.join(parts)}"
    if batch.waves_paused:
        return f"Paused: no wave goes until resumed ({words})."
    if batch.status == BatchStatus.LAUNCHING:
        return f"Wave {last.number} is being published; then the {words}."
    return f"The {words}."


def batch_waves_view(batch: Batch, *, held_shown: int = 10) -> WavesView:
    """The waves of a launched batch with each one's progress, the held rows and the next
    wave's condition in words."""
    waves = list(batch.waves.order_by("number"))
    progress = waves_progress(batch, waves)
    held_rows = BatchRow.objects.filter(batch=batch, status=RowStatus.HELD).order_by("index")
    held = held_rows.count()
    next_size = min(batch.wave_size or 0, held)
    last = waves[-1] if waves else None
    return WavesView(
        waves=[WaveLine(w, progress[w.number]) for w in waves],
        held=held,
        held_rows=list(held_rows[:held_shown]),
        next_size=next_size,
        condition=_condition(
            batch, last, progress.get(last.number) if last else None, held, next_size
        ),
    )


def plan_in_words(batch: Batch) -> str:
    """How the batch will be released, in one sentence ("" when all at once)."""
    if not batch.wave_size:
        return ""
    when = []
    if batch.wave_done_percent:
        when.append(f"when the last is {batch.wave_done_percent}% done")
    if batch.wave_every_minutes:
        when.append(f"every {_minutes(batch.wave_every_minutes)}")
    hits = f"{batch.wave_size} HIT{'s' if batch.wave_size != 1 else ''}"
    return f"{hits} per wave, the next {' or '.join(when)}."
