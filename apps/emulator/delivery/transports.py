"""Sending a message body to an SQS queue or SNS topic with boto3 and dummy credentials, only to
local endpoints (real AWS and email are undeliverable); SendTestEventNotification's message; and
the local queue `manage.py emulator --ensure-sqs-queue` keeps existing."""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from urllib.parse import urlsplit

from django.conf import settings

from ..engine import clock
from .documents import document, event_entry

logger = logging.getLogger(__name__)

SQS_REGION = re.compile(r"^sqs\.([a-z0-9-]+)\.amazonaws\.com$")
DUMMY_CREDENTIALS = {"aws_access_key_id": "mturklocal", "aws_secret_access_key": "mturklocal"}


class DeliveryError(Exception):
    """The destination did not take the message (unreachable, unknown queue, ...)."""


class Undeliverable(Exception):
    """The destination can never be reached from the local MTurk (email, real AWS)."""


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
