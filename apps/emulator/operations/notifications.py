"""Notification settings, test events and review policy results.

Settings are stored here; the outbox sender (`apps.emulator.delivery`) delivers the events.
SendTestEventNotification sends its message at once, as MTurk does.
"""

from __future__ import annotations

import base64
import json
import re

from ..delivery import outbox, transports
from ..models import NotificationSetting, ReviewAction, ReviewResult
from ..wire import errors
from .common import hit_get, hit_type_get
from .context import Context

VERSIONS = {"2006-05-05", "2014-08-15"}
SQS_URL = re.compile(r"^https?://[^\s/]+(:\d+)?/\d{12}/[A-Za-z0-9_-]{1,80}(\.fifo)?$")
SNS_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_notification(notification: dict, *, allow_ping: bool) -> None:
    transport = notification["Transport"]
    destination = notification["Destination"]
    pattern = {"SQS": SQS_URL, "SNS": SNS_ARN, "Email": EMAIL}[transport]
    if not pattern.match(destination):
        expected = {
            "SQS": "an SQS queue URL (https://sqs.us-east-1.amazonaws.com/123456789012/queue)",
            "SNS": "an SNS topic ARN (arn:aws:sns:us-east-1:123456789012:topic)",
            "Email": "an email address",
        }[transport]
        raise errors.invalid("Notification.Destination", f"for {transport} must be {expected}")
    if notification["Version"] not in VERSIONS:
        raise errors.invalid(
            "Notification.Version", f"must be one of {', '.join(sorted(VERSIONS))}"
        )
    if not notification["EventTypes"]:
        raise errors.missing("Notification.EventTypes", "Give at least one event type.")
    if not allow_ping and "Ping" in notification["EventTypes"]:
        raise errors.invalid(
            "Notification.EventTypes", "Ping is only sent by SendTestEventNotification"
        )


def update_notification_settings(ctx: Context, params: dict) -> dict:
    hit_type = hit_type_get(ctx, params["HITTypeId"])
    notification = params.get("Notification")
    active = params.get("Active")
    existing = NotificationSetting.objects.filter(hit_type=hit_type).first()
    if notification is None:
        if active is None:
            raise errors.missing("Notification", "Give Notification, Active, or both.")
        if existing is None:
            raise errors.invalid(
                "Active", f"HIT type {hit_type.hit_type_id} has no notification settings yet"
            )
        if not active:
            outbox.settings_changing(existing)
        if active and not existing.active:
            # Events while inactive are never sent.
            existing.since_event_pk = outbox.latest_event_pk()
        existing.active = active
        existing.save(update_fields=["active", "since_event_pk"])
        return {}
    _check_notification(notification, allow_ping=False)
    if existing is not None:
        outbox.settings_changing(existing)
    NotificationSetting.objects.update_or_create(
        hit_type=hit_type,
        defaults={
            "destination": notification["Destination"],
            "transport": notification["Transport"],
            "version": notification["Version"],
            "event_types": list(dict.fromkeys(notification["EventTypes"])),
            "active": True if active is None else active,
            # Events that happened before these settings are not sent with them.
            "since_event_pk": outbox.latest_event_pk(),
        },
    )
    return {}


def send_test_event_notification(ctx: Context, params: dict) -> dict:
    notification = params["Notification"]
    _check_notification(notification, allow_ping=True)
    try:
        transports.test_event_send(
            access_key_id=ctx.customer.access_key_id,
            notification=notification,
            event_type=params["TestEventType"],
        )
    except (transports.DeliveryError, transports.Undeliverable) as exc:
        raise errors.RequestError(
            errors.INVALID_NOTIFICATION_DESTINATION,
            f"The test event to {notification['Destination']} was not sent: {exc}",
        ) from None
    return {}


def _offsets(token: str | None) -> tuple[int, int]:
    if not token:
        return 0, 0
    try:
        results, actions = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(results), int(actions)
    except (ValueError, TypeError):
        raise errors.invalid("NextToken", "is not a token this service returned") from None


def _result_dict(item: ReviewResult) -> dict:
    data = {
        "SubjectId": item.subject_id,
        "SubjectType": item.subject_type,
        "Key": item.key,
        "Value": item.value,
    }
    if item.question_id:
        data["QuestionId"] = item.question_id
    if item.action_id:
        data["ActionId"] = item.action_id
    return data


def _action_dict(item: ReviewAction) -> dict:
    data = {
        "ActionId": item.action_id,
        "ActionName": item.action_name,
        "TargetId": item.target_id,
        "TargetType": item.target_type,
        "Status": item.status,
        "Result": item.result,
    }
    if item.complete_time:
        data["CompleteTime"] = item.complete_time
    if item.error_code:
        data["ErrorCode"] = item.error_code
    return data


def list_review_policy_results_for_hit(ctx: Context, params: dict) -> dict:
    """The policies stored on the HIT with what they computed (ReviewResults) and did
    (ReviewActions), per level; results and actions are paged together by MaxResults."""
    hit = hit_get(ctx, params["HITId"])
    levels = params.get("PolicyLevels") or ["Assignment", "HIT"]
    want_results = params.get("RetrieveResults", True)
    want_actions = params.get("RetrieveActions", True)
    size = params.get("MaxResults") or 10
    result_offset, action_offset = _offsets(params.get("NextToken"))
    data: dict = {"HITId": hit.hit_id}
    more = False
    next_results, next_actions = result_offset, action_offset
    for level, policy_key, report_key in (
        ("Assignment", "assignment_review_policy", "Assignment"),
        ("HIT", "hit_review_policy", "HIT"),
    ):
        policy = getattr(hit, policy_key)
        if level not in levels or not policy:
            continue
        data[f"{report_key}ReviewPolicy"] = policy
        report: dict = {}
        if want_results:
            rows = list(
                ReviewResult.objects.filter(hit=hit, level=level).order_by("pk")[
                    result_offset : result_offset + size + 1
                ]
            )
            more = more or len(rows) > size
            report["ReviewResults"] = [_result_dict(r) for r in rows[:size]]
            next_results = max(next_results, result_offset + min(len(rows), size))
        if want_actions:
            rows = list(
                ReviewAction.objects.filter(hit=hit, level=level).order_by("pk")[
                    action_offset : action_offset + size + 1
                ]
            )
            more = more or len(rows) > size
            report["ReviewActions"] = [_action_dict(a) for a in rows[:size]]
            next_actions = max(next_actions, action_offset + min(len(rows), size))
        data[f"{report_key}ReviewReport"] = report
    if more:
        data["NextToken"] = base64.urlsafe_b64encode(
            json.dumps([next_results, next_actions]).encode()
        ).decode()
    return data
