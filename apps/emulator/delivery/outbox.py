"""The outbox drain: pending `Event` rows become messages (events of one HIT at one moment for
one destination share one), sent at least once with backoff, faults applied (duplicates,
reordering). `drain()` runs in the background sender thread (`sender_loop`) and behind
`POST /_emulator/notifications/flush`; one process-wide lock keeps two drains from racing."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import close_old_connections
from django.utils import timezone

from ..models import Customer, Event, NotificationSetting
from ..wire.faults import injector
from .documents import document, event_entry
from .transports import DeliveryError, Undeliverable, transport_send

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300
# How long a message picked for reordering waits (real seconds) when the sender is not forced.
REORDER_HOLD_SECONDS = 2.0
BATCH_SIZE = 500
MAX_EVENTS_PER_MESSAGE = 10


@dataclass(frozen=True)
class Target:
    destination: str
    transport: str
    version: str


@dataclass
class Message:
    setting: Target
    access_key_id: str
    events: list[Event] = field(default_factory=list)

    @property
    def doc_id(self) -> str:
        return self.events[0].doc_id


@dataclass
class DrainResult:
    messages: int = 0
    duplicates: int = 0
    events_sent: int = 0
    skipped: int = 0
    undeliverable: int = 0
    failed: int = 0
    held: int = 0
    pending: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class _Sender:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.paused = False

    def pause(self, paused: bool) -> None:
        """Stop or resume background drains; waits for a drain in progress to finish, so no
        background send happens after pausing returns."""
        with self.lock:
            self.paused = paused


sender = _Sender()


def _setting_for(event: Event, cache: dict[str, NotificationSetting | None]) -> Target | None:
    """Where the event goes: the settings bound when it happened, else the current ones."""
    if event.bound_to:
        return Target(
            event.bound_to["Destination"], event.bound_to["Transport"], event.bound_to["Version"]
        )
    if event.hit_type_id not in cache:
        cache[event.hit_type_id] = (
            NotificationSetting.objects.filter(hit_type__hit_type_id=event.hit_type_id)
            .select_related("hit_type")
            .first()
        )
    setting = cache[event.hit_type_id]
    if (
        setting is None
        or not setting.active
        or event.event_type not in setting.event_types
        or event.pk <= setting.since_event_pk
    ):
        return None
    return Target(setting.destination, setting.transport, setting.version)


def settings_changing(setting: NotificationSetting) -> None:
    """Call before changing or deactivating `setting`: pending events it covers keep going to
    its destination (they happened while it was in force)."""
    if not setting.active:
        return
    Event.objects.filter(
        delivered_at__isnull=True,
        bound_to__isnull=True,
        hit_type_id=setting.hit_type.hit_type_id,
        pk__gt=setting.since_event_pk,
        event_type__in=setting.event_types,
    ).update(
        bound_to={
            "Destination": setting.destination,
            "Transport": setting.transport,
            "Version": setting.version,
        }
    )


def _mark(events: Iterable[Event], **fields) -> None:
    Event.objects.filter(pk__in=[e.pk for e in events], delivered_at__isnull=True).update(**fields)


def _group(events: list[Event], keys: dict[int, str]) -> list[Message]:
    """Events of one HIT at the same moment for the same destination share a message (at most
    `MAX_EVENTS_PER_MESSAGE`); events that already have a doc id (retries) keep their grouping."""
    current: dict[tuple, Message] = {}
    messages: list[Message] = []
    for event in events:
        setting = event._setting  # type: ignore[attr-defined]
        if event.doc_id:
            group: tuple = ("doc", event.doc_id)
        else:
            group = (setting, event.customer_id, event.hit_id, event.event_time)
        message = current.get(group)
        if message is None or len(message.events) >= MAX_EVENTS_PER_MESSAGE:
            message = current[group] = Message(setting, keys[event.customer_id])
            messages.append(message)
        message.events.append(event)
    return messages


def _assign_doc_ids(messages: list[Message]) -> None:
    for message in messages:
        if not message.events[0].doc_id:
            doc_id = uuid.uuid4().hex
            for event in message.events:
                event.doc_id = doc_id
            Event.objects.filter(pk__in=[e.pk for e in message.events]).update(doc_id=doc_id)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(MAX_BACKOFF_SECONDS, 2 ** max(0, attempts - 1)))


def drain(*, force: bool = False) -> DrainResult:
    """Deliver every pending event that is due (all of them with `force`); see the module doc."""
    result = DrainResult()
    with sender.lock:
        if sender.paused and not force:
            return result
        real_now = timezone.now()
        result.skipped = _skip_unconfigured(real_now)
        pending = Event.objects.filter(delivered_at__isnull=True).order_by("pk")
        if not force:
            pending = pending.exclude(next_attempt_at__gt=real_now)
        batch = list(pending[:BATCH_SIZE])
        cache: dict[str, NotificationSetting | None] = {}
        deliverable: list[Event] = []
        skipped: list[Event] = []
        for event in batch:
            setting = _setting_for(event, cache)
            if setting is None:
                skipped.append(event)
            else:
                event._setting = setting  # type: ignore[attr-defined]
                deliverable.append(event)
        if skipped:
            _mark(skipped, delivered_at=real_now, delivery="skipped")
            result.skipped += len(skipped)
        keys = dict(
            Customer.objects.filter(
                pk__in={event.customer_id for event in deliverable}
            ).values_list("pk", "access_key_id")
        )
        messages = _group(deliverable, keys)
        _assign_doc_ids(messages)
        messages = _reorder(messages, force=force, result=result, real_now=real_now)
        broken: set[str] = set()
        for message in messages:
            _send_message(message, broken=broken, result=result)
        result.pending = Event.objects.filter(delivered_at__isnull=True).count()
    return result


def _skip_unconfigured(real_now: datetime) -> int:
    """Mark skipped, in one statement, the pending events of HIT types without active settings
    (most events, when nobody asked for notifications), so a drain's batch holds only events
    that may be sent. Bounded by the newest event seen first: a type configured meanwhile has
    `since_event_pk` at or above that bound, so nothing it should send is skipped."""
    newest = Event.objects.order_by("-pk").values_list("pk", flat=True).first()
    if newest is None:
        return 0
    configured = list(
        NotificationSetting.objects.filter(active=True).values_list(
            "hit_type__hit_type_id", flat=True
        )
    )
    unwanted = Event.objects.filter(
        delivered_at__isnull=True, bound_to__isnull=True, pk__lte=newest
    ).exclude(hit_type_id__in=configured)
    # Reading first keeps an idle sender from taking SQLite's write lock every second.
    if not unwanted.exists():
        return 0
    return unwanted.update(delivered_at=real_now, delivery="skipped")


def _reorder(
    messages: list[Message], *, force: bool, result: DrainResult, real_now: datetime
) -> list[Message]:
    """With the `reorder` fault, some messages go last (forced drain) or wait a little."""
    rate = injector.settings.get("reorder")
    if not rate or len(messages) < 2:
        return messages
    kept: list[Message] = []
    held: list[Message] = []
    for message in messages:
        if message.events[0].attempts == 0 and injector.draw(rate):
            held.append(message)
        else:
            kept.append(message)
    if force:
        return kept + held
    for message in held:
        _mark(
            message.events,
            next_attempt_at=real_now + timedelta(seconds=REORDER_HOLD_SECONDS),
        )
        result.held += 1
    return kept


def _send_message(message: Message, *, broken: set[str], result: DrainResult) -> None:
    setting = message.setting
    if setting.destination in broken:
        result.failed += len(message.events)
        return
    body = document(
        access_key_id=message.access_key_id,
        version=setting.version,
        doc_id=message.doc_id,
        events=[
            event_entry(
                event_type=event.event_type,
                at=event.event_time,
                hit_type_id=event.hit_type_id,
                hit_id=event.hit_id,
                assignment_id=event.assignment_id,
            )
            for event in message.events
        ],
    )
    attempts = message.events[0].attempts + 1
    try:
        transport_send(transport=setting.transport, destination=setting.destination, body=body)
        if injector.draw(injector.settings.get("duplicate_delivery_rate")):
            transport_send(transport=setting.transport, destination=setting.destination, body=body)
            result.duplicates += 1
    except Undeliverable as exc:
        _mark(
            message.events,
            delivered_at=timezone.now(),
            delivery="undeliverable",
            attempts=attempts,
            last_error=str(exc),
        )
        result.undeliverable += len(message.events)
        return
    except DeliveryError as exc:
        # Later messages to the same destination wait too: a queue that is down stays down for
        # this drain, and order within a destination is kept as far as MTurk keeps it.
        broken.add(setting.destination)
        _mark(
            message.events,
            attempts=attempts,
            next_attempt_at=timezone.now() + _backoff(attempts),
            last_error=str(exc)[:2000],
        )
        result.failed += len(message.events)
        logger.info("notification to %s not delivered yet: %s", setting.destination, exc)
        return
    _mark(message.events, delivered_at=timezone.now(), delivery="sent", attempts=attempts)
    result.messages += 1
    result.events_sent += len(message.events)


def sender_loop(interval: float) -> None:
    """Background sender (one thread per emulator process): drain every `interval` seconds."""
    while True:
        time.sleep(interval)
        try:
            drain()
        except Exception:
            logger.exception("the notification sender failed; it will try again")
        finally:
            close_old_connections()


def outbox_summary() -> dict:
    """Counts of the outbox by delivery state, and the pending events with their last error."""
    counts = {
        state or "pending": Event.objects.filter(delivery=state).count()
        for state in ("", "sent", "skipped", "undeliverable")
    }
    pending = [
        {
            "EventType": event.event_type,
            "HITId": event.hit_id,
            "AssignmentId": event.assignment_id,
            "Attempts": event.attempts,
            "LastError": event.last_error,
        }
        for event in Event.objects.filter(delivered_at__isnull=True).order_by("pk")[:100]
    ]
    return {"counts": counts, "pending": pending, "paused": sender.paused}


def latest_event_pk() -> int:
    """The newest outbox row so far: notification settings stored now start after it."""
    return Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
