import json
import uuid
from datetime import UTC, datetime

import pytest


@pytest.fixture
def queued_account(local_account, sqs_queue):
    local_account.sqs_queue_url = sqs_queue
    local_account.save(update_fields=["sqs_queue_url"])
    return local_account


def document(*events: dict, doc_id: str | None = None) -> dict:
    """A notification document in the shape MTurk sends (Version 2014-08-15)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "EventDocId": doc_id or uuid.uuid4().hex,
        "EventDocVersion": "2014-08-15",
        "CustomerId": "A1CUSTOMER",
        "SourceAccount": "123456789012",
        "Events": [{"EventTimestamp": stamp, **event} for event in events],
    }


@pytest.fixture
def deliver(sqs_server, sqs_queue):
    """Put a notification document on the account's queue, as MTurk would."""
    client = sqs_server.client()

    def _deliver(doc: dict, *, sns: bool = False) -> None:
        body = json.dumps(doc)
        if sns:
            body = json.dumps(
                {"Type": "Notification", "MessageId": uuid.uuid4().hex, "Message": body}
            )
        client.send_message(QueueUrl=sqs_queue, MessageBody=body)

    return _deliver
