"""Notification settings, test events and review policy results.

Settings are stored here; the outbox sender (`apps.emulator.delivery`) delivers the events.
SendTestEventNotification sends its message at once, as MTurk does.
"""

from __future__ import annotations

import re

from .. import delivery, errors
from ..models import NotificationSetting
from ..protocol import Context
from .common import hit_get, hit_type_get

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
            delivery.settings_changing(existing)
        if active and not existing.active:
            # Events while inactive are never sent.
            existing.since_event_pk = delivery.latest_event_pk()
        existing.active = active
        existing.save(update_fields=["active", "since_event_pk"])
        return {}
    _check_notification(notification, allow_ping=False)
    if existing is not None:
        delivery.settings_changing(existing)
    NotificationSetting.objects.update_or_create(
        hit_type=hit_type,
        defaults={
            "destination": notification["Destination"],
            "transport": notification["Transport"],
            "version": notification["Version"],
            "event_types": list(dict.fromkeys(notification["EventTypes"])),
            "active": True if active is None else active,
            # Events that happened before these settings are not sent with them.
            "since_event_pk": delivery.latest_event_pk(),
        },
    )
    return {}


def send_test_event_notification(ctx: Context, params: dict) -> dict:
    notification = params["Notification"]
    _check_notification(notification, allow_ping=True)
    try:
        delivery.test_event_send(
            access_key_id=ctx.customer.access_key_id,
            notification=notification,
            event_type=params["TestEventType"],
        )
    except (delivery.DeliveryError, delivery.Undeliverable) as exc:
        raise errors.RequestError(
            errors.INVALID_NOTIFICATION_DESTINATION,
            f"The test event to {notification['Destination']} was not sent: {exc}",
        ) from None
    return {}


def list_review_policy_results_for_hit(ctx: Context, params: dict) -> dict:
    """The policies stored on the HIT; no review policy has run, so no results or actions."""
    hit = hit_get(ctx, params["HITId"])
    levels = params.get("PolicyLevels") or ["Assignment", "HIT"]
    data: dict = {"HITId": hit.hit_id}
    want_results = params.get("RetrieveResults", True)
    want_actions = params.get("RetrieveActions", True)
    report: dict = {}
    if want_results:
        report["ReviewResults"] = []
    if want_actions:
        report["ReviewActions"] = []
    if "Assignment" in levels and hit.assignment_review_policy:
        data["AssignmentReviewPolicy"] = hit.assignment_review_policy
        data["AssignmentReviewReport"] = dict(report)
    if "HIT" in levels and hit.hit_review_policy:
        data["HITReviewPolicy"] = hit.hit_review_policy
        data["HITReviewReport"] = dict(report)
    return data
