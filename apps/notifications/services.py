"""MTurk's notifications: SQS messages in, mirror rows out.

Notifications are triggers, not truth. A poll stores every message raw before anything else,
then its events (unique on EventDocId and position, so a duplicate delivery adds nothing), and
deletes the SQS message only once that is committed. Each event then makes us re-read its object
(GetAssignment or GetHIT) and upsert it; the upserts never move a state backwards, so reordered
events end in the right state. An event that fails is retried with backoff and stays visible.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.audit.services import audit_record
from apps.hits.agreement import agreement_refresh
from apps.hits.models import HIT, HITType
from apps.hits.upserts import (
    assignment_upsert_from_api,
    hit_type_upsert_from_api,
    hit_upsert_from_api,
)
from apps.mturk.errors import MTurkError, MTurkNotFound
from apps.mturk.gateway import Gateway
from apps.mturk.sqs import NotificationQueue, QueueMessage
from apps.notifications.models import NotificationEvent, NotificationMessage
from apps.qualifications.groups import groups_after_submissions
from apps.qualifications.guards import guards_after_submissions
from apps.requesters.models import Environment, Requester
from apps.requesters.services import requester_account_config, requester_gateway
from apps.workers.sync import workers_refresh
from mturkdash.validators import CONTROL_CHARACTERS

logger = logging.getLogger(__name__)

VERSION = "2014-08-15"
EVENT_TYPES = [
    "AssignmentAccepted",
    "AssignmentAbandoned",
    "AssignmentReturned",
    "AssignmentSubmitted",
    "AssignmentRejected",
    "AssignmentApproved",
    "HITCreated",
    "HITExtended",
    "HITDisposed",
    "HITReviewable",
    "HITExpired",
]
# Only these can be read with GetAssignment; the others change the HIT's counters.
READABLE_ASSIGNMENT_EVENTS = {"AssignmentSubmitted", "AssignmentRejected", "AssignmentApproved"}
MAX_ATTEMPTS = 8


@dataclass
class PollResult:
    received: int = 0
    stored_events: int = 0
    duplicates: int = 0
    refused: int = 0
    processed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def requester_queue(requester: Requester) -> NotificationQueue:
    config = requester_account_config(requester)
    return NotificationQueue(
        requester.sqs_queue_url,
        environment=requester.environment,
        access_key_id=config.access_key_id,
        secret_access_key=config.secret_access_key,
        profile=config.profile,
    )


def _allowed_senders(requester: Requester) -> set[str]:
    senders = set(settings.NOTIFICATIONS_SENDER_IDS)
    if requester.environment == Environment.LOCAL:
        senders |= set(settings.NOTIFICATIONS_LOCAL_SENDER_IDS)
    return senders


def _payload(body: str) -> dict:
    """The notification document, unwrapped from an SNS envelope when it came through SNS."""
    data = json.loads(body)
    if (
        isinstance(data, dict)
        and data.get("Type") == "Notification"
        and isinstance(data.get("Message"), str)
    ):
        data = json.loads(data["Message"])
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("Events"), list)
        or not data.get("EventDocId")
    ):
        raise ValueError("not an MTurk notification document (no EventDocId or Events)")
    return data


def _text(value, size: int) -> str:
    """A field of a message, as stored: control characters (a JSON "\\u0000" decodes to NUL,
    which PostgreSQL cannot store) dropped, cut to the column's size."""
    return CONTROL_CHARACTERS.sub("", "" if value is None else str(value))[:size]


def _timestamp(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    parsed = parse_datetime(value)
    return parsed


def message_store(
    *, requester: Requester, message: QueueMessage
) -> tuple[NotificationMessage, int, int]:
    """Store one SQS message and its events. Returns (message, new events, duplicate events)."""
    with transaction.atomic():
        stored, created = NotificationMessage.objects.get_or_create(
            sqs_message_id=message.message_id,
            defaults={"requester": requester, "body": message.body, "sender_id": message.sender_id},
        )
        if not created:
            return stored, 0, 0
        allowed = _allowed_senders(requester)
        if allowed and message.sender_id not in allowed:
            stored.refused = f"sender {message.sender_id or '(none)'} is not MTurk"
            stored.processed_at = timezone.now()
            stored.save(update_fields=["refused", "processed_at"])
            return stored, 0, 0
        try:
            payload = _payload(message.body)
        except (ValueError, TypeError) as exc:
            stored.refused = f"unreadable: {exc}"[:255]
            stored.processed_at = timezone.now()
            stored.save(update_fields=["refused", "processed_at"])
            return stored, 0, 0
        new = duplicates = 0
        for position, event in enumerate(payload["Events"]):
            if not isinstance(event, dict):
                continue
            try:
                with transaction.atomic():
                    NotificationEvent.objects.create(
                        message=stored,
                        requester=requester,
                        event_doc_id=_text(payload["EventDocId"], 128),
                        position=position,
                        event_type=_text(event.get("EventType"), 40),
                        event_timestamp=_timestamp(
                            event.get("EventTimestamp") or event.get("EventTime")
                        ),
                        hit_type_mturk_id=_text(event.get("HITTypeId"), 64),
                        hit_mturk_id=_text(event.get("HITId"), 64),
                        assignment_mturk_id=_text(event.get("AssignmentId"), 64),
                    )
                new += 1
            except IntegrityError:
                duplicates += 1
        if not new:
            stored.processed_at = timezone.now()
            stored.save(update_fields=["processed_at"])
    return stored, new, duplicates


def notifications_poll(
    *, requester: Requester, wait_seconds: int = 20, max_messages: int = 10
) -> PollResult:
    """Receive one batch from the account's queue, store it, delete it, process its events."""
    result = PollResult()
    if not requester.sqs_queue_url:
        return result
    queue = requester_queue(requester)
    for message in queue.receive(max_messages=max_messages, wait_seconds=wait_seconds):
        result.received += 1
        stored, new, duplicates = message_store(requester=requester, message=message)
        result.stored_events += new
        result.duplicates += duplicates
        result.refused += int(bool(stored.refused))
        # Committed above: only now may SQS forget the message.
        queue.delete(message.receipt_handle)
    processed, failed = events_process(requester=requester)
    result.processed, result.failed = processed, failed
    return result


def _due_events(requester: Requester):
    now = timezone.now()
    return (
        NotificationEvent.objects.filter(requester=requester, processed_at__isnull=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(attempts__lt=MAX_ATTEMPTS)
        .order_by("event_timestamp", "id")
    )


def events_process(
    *, requester: Requester, events=None, gateway: Gateway | None = None
) -> tuple[int, int]:
    """Re-read the objects the due events name, once per object, and upsert them.

    Returns (events processed, events failed).
    """
    events = list(events if events is not None else _due_events(requester)[:500])
    if not events:
        return 0, 0
    gateway = gateway or requester_gateway(requester)
    targets: dict[tuple[str, str], list[NotificationEvent]] = defaultdict(list)
    for event in events:
        if event.event_type == "Ping" or not (event.hit_mturk_id or event.assignment_mturk_id):
            targets[("none", str(event.pk))].append(event)
        elif event.event_type in READABLE_ASSIGNMENT_EVENTS and event.assignment_mturk_id:
            targets[("assignment", event.assignment_mturk_id)].append(event)
        else:
            targets[("hit", event.hit_mturk_id)].append(event)

    processed = failed = 0
    touched_workers: set[str] = set()
    for (kind, mturk_id), group in targets.items():
        try:
            with transaction.atomic():
                if kind == "assignment":
                    worker = _read_assignment(requester, gateway, mturk_id)
                    touched_workers.add(worker)
                elif kind == "hit":
                    _read_hit(
                        requester,
                        gateway,
                        mturk_id,
                        disposed=any(e.event_type == "HITDisposed" for e in group),
                    )
                NotificationEvent.objects.filter(pk__in=[e.pk for e in group]).update(
                    processed_at=timezone.now(), exception="", traceback="", next_attempt_at=None
                )
            processed += len(group)
        except Exception as exc:
            failed += len(group)
            _record_failure(group, exc)
    workers_refresh(requester=requester, worker_ids=touched_workers)
    _close_messages({e.message_id for e in events})
    return processed, failed


def _record_failure(group: list[NotificationEvent], exc: Exception) -> None:
    now = timezone.now()
    for event in group:
        attempts = event.attempts + 1
        delay = min(3600, 5 * 2**attempts)
        NotificationEvent.objects.filter(pk=event.pk).update(
            attempts=attempts,
            exception=f"{type(exc).__name__}: {exc}"[:2000],
            traceback="".join(traceback.format_exception(exc))[-8000:],
            next_attempt_at=now + timedelta(seconds=delay),
        )
    logger.warning("notification events %s failed: %s", [e.pk for e in group], exc)


def _close_messages(message_ids: set[int]) -> None:
    for message_id in message_ids:
        if not NotificationEvent.objects.filter(
            message_id=message_id, processed_at__isnull=True
        ).exists():
            NotificationMessage.objects.filter(pk=message_id, processed_at__isnull=True).update(
                processed_at=timezone.now()
            )


def _hit_from(requester: Requester, data: dict, fetched_at: datetime) -> HIT:
    hit_type = hit_type_upsert_from_api(requester=requester, data=data, fetched_at=fetched_at)
    hit, _ = hit_upsert_from_api(
        requester=requester, data=data, fetched_at=fetched_at, hit_type=hit_type
    )
    return hit


def _read_assignment(requester: Requester, gateway: Gateway, assignment_id: str) -> str:
    fetched_at = timezone.now()
    response = gateway.call("get_assignment", AssignmentId=assignment_id)
    hit = _hit_from(requester, response["HIT"], fetched_at)
    assignment, changed = assignment_upsert_from_api(
        hit=hit, data=response["Assignment"], fetched_at=fetched_at
    )
    if changed:
        agreement_refresh(hit)
        groups_after_submissions([assignment.pk])
        guards_after_submissions([assignment.pk])
    return assignment.worker_id


def _read_hit(requester: Requester, gateway: Gateway, hit_id: str, *, disposed: bool) -> None:
    fetched_at = timezone.now()
    try:
        response = gateway.call("get_hit", HITId=hit_id)
    except MTurkNotFound:
        if disposed:
            HIT.objects.filter(requester=requester, mturk_id=hit_id, gone_at__isnull=True).update(
                gone_at=fetched_at
            )
            return
        raise
    _hit_from(requester, response["HIT"], fetched_at)


def events_reprocess(
    *, requester: Requester | None = None, failed_only: bool = False, ids=None
) -> tuple[int, int]:
    """Run stored events again (`manage.py reprocess_notifications`): failed ones, or given ids."""
    events = NotificationEvent.objects.all()
    if requester is not None:
        events = events.filter(requester=requester)
    if ids:
        events = events.filter(pk__in=ids)
    if failed_only:
        events = events.exclude(exception="")
    processed = failed = 0
    by_requester: dict[int, list[NotificationEvent]] = defaultdict(list)
    for event in events.select_related("requester"):
        by_requester[event.requester_id].append(event)
    for group in by_requester.values():
        p, f = events_process(requester=group[0].requester, events=group)
        processed, failed = processed + p, failed + f
    return processed, failed


def _notification_spec(requester: Requester, event_types: list[str]) -> dict:
    return {
        "Destination": requester.sqs_queue_url,
        "Transport": "SQS",
        "Version": VERSION,
        "EventTypes": event_types,
    }


def hit_type_notifications_configure(*, requester: Requester, hit_type_id: str, actor=None) -> bool:
    """Send every event of a HIT type to the account's queue. False when it has no queue."""
    if not requester.sqs_queue_url:
        return False
    gateway = requester_gateway(requester)
    gateway.call(
        "update_notification_settings",
        HITTypeId=hit_type_id,
        Notification=_notification_spec(requester, EVENT_TYPES),
        Active=True,
    )
    HITType.objects.filter(requester=requester, mturk_id=hit_type_id).update(
        notifications_configured_at=timezone.now()
    )
    audit_record(
        actor=actor,
        requester=requester,
        action="notifications.configure",
        target_type="hit_type",
        target_id=hit_type_id,
        details={"destination": requester.sqs_queue_url},
    )
    return True


def requester_send_test_notification(*, requester: Requester, actor) -> None:
    """Ask MTurk to send a Ping to the account's queue (SendTestEventNotification)."""
    if not requester.sqs_queue_url:
        raise ValueError("This account has no SQS queue for notifications.")
    requester_gateway(requester).call(
        "send_test_event_notification",
        Notification=_notification_spec(requester, ["Ping"]),
        TestEventType="Ping",
    )
    audit_record(
        actor=actor,
        requester=requester,
        action="notifications.test",
        target_type="requester",
        target_id=requester.pk,
    )


def notifications_status(requester: Requester) -> dict:
    """What the account page shows: queue depth, last events, failures."""
    events = NotificationEvent.objects.filter(requester=requester)
    last = events.order_by("-created_at").first()
    status = {
        "last_events": list(events.order_by("-created_at")[:10]),
        "failed": events.filter(processed_at__isnull=True).exclude(exception="").count(),
        "pending": events.filter(processed_at__isnull=True, exception="").count(),
        "last_ping": events.filter(event_type="Ping").order_by("-created_at").first(),
        "lag_seconds": None,
        "queue": None,
        "queue_error": "",
        "refused": NotificationMessage.objects.filter(requester=requester)
        .exclude(refused="")
        .count(),
    }
    if last and last.event_timestamp:
        status["lag_seconds"] = max(
            0, int((last.created_at - last.event_timestamp).total_seconds())
        )
    if requester.sqs_queue_url:
        try:
            status["queue"] = requester_queue(requester).approximate_depth()
        except MTurkError as exc:
            status["queue_error"] = str(exc)
    return status
