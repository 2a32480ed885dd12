"""Notification delivery: the sender that drains the `Event` outbox to SQS queues and SNS topics.

Life-cycle services write an `Event` row in the same transaction as the change they record
(`lifecycle.event_emit`). This module turns pending rows into MTurk notification messages and
sends them with boto3, at least once:

- An event is sent only when its HIT type has active notification settings naming its event
  type, configured before the event happened (`NotificationSetting.since_event_pk`); otherwise it
  is marked `skipped`. Email destinations and real AWS endpoints (`*.amazonaws.com`, which would
  refuse the local MTurk's dummy credentials) are marked `undeliverable` with the reason.
- Events of one HIT that happened at the same moment for the same destination share a message
  (e.g. the last AssignmentSubmitted and the HITReviewable it causes).
- A message is marked sent only after SQS / SNS accepted it. When the destination is
  unreachable its events stay pending with a growing backoff (`next_attempt_at`, real time,
  capped at `MAX_BACKOFF_SECONDS`); nothing is ever dropped for being unreachable.
- Faults (`/_emulator/faults`): `duplicate_delivery_rate` sends a message twice (same EventDocId,
  two SQS messages); `reorder` (a probability) holds some messages back so that later ones
  overtake them.

`drain()` is called by the background sender thread (`sender_loop`, started by `manage.py
emulator`) and by `POST /_emulator/notifications/flush`, which ignores backoff so tests can
deliver deterministically; one process-wide lock keeps two drains from racing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from . import clock
from .faults import injector
from .models import Customer, Event, NotificationSetting

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300
# How long a message picked for reordering waits (real seconds) when the sender is not forced.
REORDER_HOLD_SECONDS = 2.0
BATCH_SIZE = 500
MAX_EVENTS_PER_MESSAGE = 10
SQS_REGION = re.compile(r"^sqs\.([a-z0-9-]+)\.amazonaws\.com$")
DUMMY_CREDENTIALS = {"aws_access_key_id": "mturklocal", "aws_secret_access_key": "mturklocal"}


class DeliveryError(Exception):
    """The destination did not take the message (unreachable, unknown queue, ...)."""


class Undeliverable(Exception):
    """The destination can never be reached from the local MTurk (email, real AWS)."""


# ---------------------------------------------------------------------------------------------
# Identities in the payload


def customer_id_for(access_key_id: str) -> str:
    """The requester's CustomerId in notifications: 'A' + 13 letters/digits, stable per key."""
    digest = base64.b32encode(hashlib.sha256(access_key_id.encode()).digest()).decode()
    return "A" + digest[:13]


def source_account_for(access_key_id: str) -> str:
    """A 12-digit AWS account number standing for the requester, stable per key."""
    number = int.from_bytes(hashlib.sha256(b"account:" + access_key_id.encode()).digest()[:8])
    return f"{number % 10**12:012d}"


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_entry(
    *, event_type: str, at: datetime, hit_type_id: str, hit_id: str, assignment_id: str
) -> dict:
    entry = {
        "EventType": event_type,
        "EventTimestamp": timestamp(at),
        "HITTypeId": hit_type_id,
        "HITId": hit_id,
    }
    if assignment_id:
        entry["AssignmentId"] = assignment_id
    return entry


def document(*, access_key_id: str, version: str, doc_id: str, events: list[dict]) -> str:
    """The message body MTurk sends: EventDocId, EventDocVersion, CustomerId, SourceAccount,
    Events."""
    return json.dumps(
        {
            "EventDocId": doc_id,
            "EventDocVersion": version,
            "SourceAccount": source_account_for(access_key_id),
            "CustomerId": customer_id_for(access_key_id),
            "Events": events,
        },
        separators=(",", ":"),
    )


# ---------------------------------------------------------------------------------------------
# Transports


_clients: dict[tuple[str, str, str], object] = {}
_clients_lock = threading.Lock()


def _client(service: str, endpoint: str, region: str):
    import boto3
    from botocore.config import Config

    key = (service, endpoint, region)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = boto3.session.Session().client(
                service,
                endpoint_url=endpoint,
                region_name=region,
                config=Config(
                    retries={"total_max_attempts": 1},
                    connect_timeout=2,
                    read_timeout=5,
                ),
                **DUMMY_CREDENTIALS,
            )
        return _clients[key]


def _sqs_target(queue_url: str) -> tuple[str, str]:
    parts = urlsplit(queue_url)
    host = parts.hostname or ""
    if host.endswith("amazonaws.com"):
        raise Undeliverable(
            f"{queue_url} is a real AWS queue: the local MTurk only delivers to local endpoints "
            "(e.g. the moto server of `make run`)"
        )
    match = SQS_REGION.match(host)
    return f"{parts.scheme}://{parts.netloc}", match.group(1) if match else "us-east-1"


def transport_send(*, transport: str, destination: str, body: str) -> None:
    """Send one message body; raise DeliveryError (retry later) or Undeliverable (never)."""
    if transport == "Email":
        raise Undeliverable("the local MTurk does not send email notifications")
    try:
        if transport == "SQS":
            endpoint, region = _sqs_target(destination)
            _client("sqs", endpoint, region).send_message(QueueUrl=destination, MessageBody=body)
        elif transport == "SNS":
            region = destination.split(":")[3]
            _client("sns", settings.EMULATOR_SNS_ENDPOINT, region).publish(
                TopicArn=destination, Message=body
            )
        else:
            raise Undeliverable(f"unknown transport {transport}")
    except Undeliverable:
        raise
    except Exception as exc:  # botocore raises many kinds; all mean "not delivered now"
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc


def test_event_send(*, access_key_id: str, notification: dict, event_type: str) -> None:
    """SendTestEventNotification: one message with one event of `event_type`, sent now."""
    now = clock.now()
    entry = event_entry(
        event_type=event_type,
        at=now,
        hit_type_id="TESTHITTYPE" + uuid.uuid4().hex[:19].upper(),
        hit_id="TESTHIT" + uuid.uuid4().hex[:23].upper(),
        assignment_id="TESTASSIGNMENT" + uuid.uuid4().hex[:16].upper()
        if event_type.startswith("Assignment")
        else "",
    )
    transport_send(
        transport=notification["Transport"],
        destination=notification["Destination"],
        body=document(
            access_key_id=access_key_id,
            version=notification["Version"],
            doc_id=uuid.uuid4().hex,
            events=[entry],
        ),
    )


# ---------------------------------------------------------------------------------------------
# The outbox drain


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


def queue_ensure(queue_url: str) -> None:
    """Create the SQS queue named by `queue_url` on its (local) server; idempotent."""
    endpoint, region = _sqs_target(queue_url)
    _client("sqs", endpoint, region).create_queue(QueueName=queue_url.rstrip("/").rsplit("/", 1)[1])


def queue_keeper_loop(queue_url: str, interval: float = 30.0) -> None:
    """Keep `queue_url` existing: moto keeps queues in memory, so a restarted moto has none.
    Tries every second until the server answers, then checks every `interval` seconds."""
    ready = False
    while True:
        try:
            queue_ensure(queue_url)
            if not ready:
                logger.info("notification queue %s is ready", queue_url)
            ready = True
        except Undeliverable:
            logger.error("not creating %s: only local queues are managed", queue_url)
            return
        except Exception:
            ready = False
        time.sleep(interval if ready else 1.0)
