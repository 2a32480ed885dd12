"""The SQS side of the gateway: read and delete MTurk's notification messages.

The queue URL says where the queue lives (`https://sqs.us-east-1.amazonaws.com/123/q`, or a
local moto server's `http://127.0.0.1:8002/123/q`), so the endpoint and region come from it. It
is checked against the account's environment (endpoints.py) before any client is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from apps.mturk.constants import REGION
from apps.mturk.endpoints import sqs_queue_url_check
from apps.mturk.errors import from_botocore_error, from_client_error

_REGION_IN_HOST = re.compile(r"sqs[.-]([a-z0-9-]+)\.amazonaws\.com|([a-z0-9-]+)\.queue\.amazonaws")


@dataclass(frozen=True)
class QueueMessage:
    message_id: str
    receipt_handle: str
    body: str
    sender_id: str


class NotificationQueue:
    def __init__(
        self,
        queue_url: str,
        *,
        environment: str,
        access_key_id: str = "",
        secret_access_key: str = "",
        profile: str = "",
    ):
        # Raises EndpointRefused (an MTurkError) for a queue this account may not read.
        sqs_queue_url_check(queue_url, environment)
        parts = urlsplit(queue_url)
        match = _REGION_IN_HOST.search(parts.netloc)
        region = (match.group(1) or match.group(2)) if match else REGION
        if profile:
            session = boto3.session.Session(profile_name=profile, region_name=region)
        else:
            session = boto3.session.Session(
                aws_access_key_id=access_key_id or None,
                aws_secret_access_key=secret_access_key or None,
                region_name=region,
            )
        self.queue_url = queue_url
        self.client = session.client(
            "sqs",
            endpoint_url=f"{parts.scheme}://{parts.netloc}",
            config=Config(
                retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30
            ),
        )

    def _call(self, operation: str, **params):
        try:
            return getattr(self.client, operation)(QueueUrl=self.queue_url, **params)
        except ClientError as exc:
            raise from_client_error(exc, operation) from exc
        except BotoCoreError as exc:
            raise from_botocore_error(exc, operation) from exc

    def receive(self, *, max_messages: int = 10, wait_seconds: int = 20) -> list[QueueMessage]:
        response = self._call(
            "receive_message",
            MaxNumberOfMessages=max_messages,
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=["SenderId", "ApproximateReceiveCount"],
        )
        return [
            QueueMessage(
                message_id=m["MessageId"],
                receipt_handle=m["ReceiptHandle"],
                body=m.get("Body", ""),
                sender_id=m.get("Attributes", {}).get("SenderId", ""),
            )
            for m in response.get("Messages", [])
        ]

    def delete(self, receipt_handle: str) -> None:
        self._call("delete_message", ReceiptHandle=receipt_handle)

    def approximate_depth(self) -> dict[str, int]:
        """Messages waiting and in flight: the queue's lag as SQS sees it."""
        attributes = self._call(
            "get_queue_attributes",
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        ).get("Attributes", {})
        return {
            "waiting": int(attributes.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
        }
