"""The body of an MTurk notification message: EventDocId, EventDocVersion, CustomerId,
SourceAccount and the events, with the requester's identities derived from its access key id."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime


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
