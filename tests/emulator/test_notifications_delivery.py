"""Notifications from the local MTurk reach a real local SQS (moto) in MTurk's documented shape,
at least once, with the duplicate and reorder faults, and survive an outage of the queue."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.fixtures.emulator import make_mturk_client, start_emulator
from tests.fixtures.sqs import start_sqs_server

from .conftest import HIT_DEFAULTS, new_worker_id

ALL_EVENTS = [
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
MOTO_SENDER_ID = "AIDAIT2UOQQY3AUEKVGXU"
TYPE_PROPERTIES = {
    key: HIT_DEFAULTS[key]
    for key in (
        "Title",
        "Description",
        "Keywords",
        "Reward",
        "AssignmentDurationInSeconds",
        "AutoApprovalDelayInSeconds",
    )
}


def receive_all(sqs, queue_url: str) -> list[dict]:
    """Every message now in the queue (deleted as read), oldest first."""
    messages: list[dict] = []
    empty = 0
    while empty < 2:
        batch = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            AttributeNames=["SenderId"],
        ).get("Messages", [])
        if not batch:
            empty += 1
            continue
        for message in batch:
            messages.append(message)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def hit_type_with_notifications(mturk, destination: str, transport: str = "SQS", events=None):
    hit_type_id = mturk.create_hit_type(**TYPE_PROPERTIES)["HITTypeId"]
    mturk.update_notification_settings(
        HITTypeId=hit_type_id,
        Notification={
            "Destination": destination,
            "Transport": transport,
            "Version": "2014-08-15",
            "EventTypes": events or ALL_EVENTS,
        },
        Active=True,
    )
    return hit_type_id


def new_hit(mturk, hit_type_id: str, **overrides) -> dict:
    params = {
        "HITTypeId": hit_type_id,
        "LifetimeInSeconds": 3600,
        "MaxAssignments": 1,
        "Question": HIT_DEFAULTS["Question"],
    } | overrides
    return mturk.create_hit_with_hit_type(**params)["HIT"]


def events_of(messages: list[dict]) -> list[dict]:
    return [event for message in messages for event in json.loads(message["Body"])["Events"]]


def test_it_delivers_all_eleven_event_types_in_the_documented_shape(
    mturk, emulator, sqs_server, sqs_queue
):
    sqs = sqs_server.client()
    hit_type_id = hit_type_with_notifications(mturk, sqs_queue)
    hit = new_hit(mturk, hit_type_id, MaxAssignments=3)
    hit_id = hit["HITId"]
    returned = emulator.accept(new_worker_id(), hit_id)
    emulator.return_assignment(returned)
    emulator.accept(new_worker_id(), hit_id)
    emulator.advance(HIT_DEFAULTS["AssignmentDurationInSeconds"] + 1)  # abandoned
    approved = emulator.complete(new_worker_id(), hit_id)
    mturk.approve_assignment(AssignmentId=approved)
    rejected = emulator.complete(new_worker_id(), hit_id)
    mturk.reject_assignment(AssignmentId=rejected, RequesterFeedback="wrong")
    emulator.complete(new_worker_id(), hit_id)  # the third submission: HITReviewable
    mturk.create_additional_assignments_for_hit(HITId=hit_id, NumberOfAdditionalAssignments=1)
    other = new_hit(mturk, hit_type_id)
    mturk.update_expiration_for_hit(HITId=other["HITId"], ExpireAt=datetime(2015, 1, 1))
    mturk.delete_hit(HITId=other["HITId"])

    emulator.flush_notifications()
    messages = receive_all(sqs, sqs_queue)

    events = events_of(messages)
    assert {event["EventType"] for event in events} == set(ALL_EVENTS)
    for message in messages:
        assert message["Attributes"]["SenderId"] == MOTO_SENDER_ID
        document = json.loads(message["Body"])
        assert set(document) == {
            "EventDocId",
            "EventDocVersion",
            "CustomerId",
            "SourceAccount",
            "Events",
        }
        assert document["EventDocVersion"] == "2014-08-15"
        assert document["CustomerId"].startswith("A")
        assert len(document["SourceAccount"]) == 12
    submitted = [e for e in events if e["EventType"] == "AssignmentSubmitted"]
    assert len(submitted) == 3
    assert all(e["HITTypeId"] == hit_type_id and e["AssignmentId"] for e in submitted)
    timestamp = submitted[0]["EventTimestamp"]
    assert datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert [e["HITId"] for e in events if e["EventType"] == "HITDisposed"] == [other["HITId"]]
    assert "AssignmentId" not in next(e for e in events if e["EventType"] == "HITCreated")


def test_it_sends_only_the_configured_types_and_nothing_when_inactive(
    mturk, emulator, sqs_server, sqs_queue
):
    sqs = sqs_server.client()
    hit_type_id = hit_type_with_notifications(mturk, sqs_queue, events=["AssignmentSubmitted"])
    hit = new_hit(mturk, hit_type_id, MaxAssignments=2)
    emulator.complete(new_worker_id(), hit["HITId"])
    mturk.update_notification_settings(HITTypeId=hit_type_id, Active=False)
    emulator.complete(new_worker_id(), hit["HITId"])
    emulator.flush_notifications()
    events = events_of(receive_all(sqs, sqs_queue))
    assert [e["EventType"] for e in events] == ["AssignmentSubmitted"]


def test_send_test_event_notification_delivers_a_ping(mturk, sqs_server, sqs_queue):
    mturk.send_test_event_notification(
        Notification={
            "Destination": sqs_queue,
            "Transport": "SQS",
            "Version": "2014-08-15",
            "EventTypes": ["Ping"],
        },
        TestEventType="Ping",
    )
    messages = receive_all(sqs_server.client(), sqs_queue)
    assert [e["EventType"] for e in events_of(messages)] == ["Ping"]
    assert json.loads(messages[0]["Body"])["EventDocVersion"] == "2014-08-15"


def test_duplicate_delivery_repeats_the_event_doc_id_in_a_new_message(
    mturk, emulator, sqs_server, sqs_queue
):
    emulator.pause_delivery()
    try:
        hit_type_id = hit_type_with_notifications(mturk, sqs_queue, events=["HITCreated"])
        emulator.faults(duplicate_delivery_rate=1.0, seed=1)
        new_hit(mturk, hit_type_id)
        new_hit(mturk, hit_type_id)
        result = emulator.flush_notifications()
    finally:
        emulator.pause_delivery(False)
    messages = receive_all(sqs_server.client(), sqs_queue)
    assert result["duplicates"] == 2
    doc_ids = [json.loads(m["Body"])["EventDocId"] for m in messages]
    assert len(messages) == 4 and len(set(doc_ids)) == 2
    assert len({m["MessageId"] for m in messages}) == 4


def test_reorder_lets_later_messages_overtake_earlier_ones(mturk, emulator, sqs_server, sqs_queue):
    emulator.pause_delivery()
    try:
        hit_type_id = hit_type_with_notifications(mturk, sqs_queue, events=["HITCreated"])
        emulator.faults(reorder=0.5, seed=7)
        created = [new_hit(mturk, hit_type_id)["HITId"] for _ in range(8)]
        emulator.flush_notifications()
    finally:
        emulator.pause_delivery(False)
    received = [e["HITId"] for e in events_of(receive_all(sqs_server.client(), sqs_queue))]
    assert sorted(received) == sorted(created)
    assert received != created


def test_an_outage_of_the_queue_loses_nothing(mturk, emulator):
    server = start_sqs_server()
    port = server.url.rsplit(":", 1)[1]
    name = f"outage-{uuid.uuid4().hex[:8]}"
    queue_url = server.client().create_queue(QueueName=name)["QueueUrl"]
    assert f":{port}/" in queue_url
    server.stop()
    try:
        hit_type_id = hit_type_with_notifications(mturk, queue_url, events=["HITCreated"])
        created = [new_hit(mturk, hit_type_id)["HITId"] for _ in range(3)]
        down = emulator.flush_notifications()
        assert down["failed"] >= 1 and down["pending"] >= 3
        server = start_sqs_server(port=int(port))
        server.client().create_queue(QueueName=name)
        up = emulator.flush_notifications()
        assert up["pending"] == 0
        received = {e["HITId"] for e in events_of(receive_all(server.client(), queue_url))}
        assert received == set(created)
    finally:
        server.stop()


def test_sns_delivery_wraps_the_document_in_the_envelope(tmp_path, sqs_server):
    sns = boto3.client(
        "sns",
        endpoint_url=sqs_server.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    sqs = sqs_server.client()
    topic_arn = sns.create_topic(Name=f"mturk-{uuid.uuid4().hex[:8]}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"sns-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    server = start_emulator(tmp_path, env={"EMULATOR_SNS_ENDPOINT": sqs_server.url})
    try:
        mturk = make_mturk_client(server.url)
        hit_type_id = hit_type_with_notifications(
            mturk, topic_arn, transport="SNS", events=["HITCreated"]
        )
        hit = new_hit(mturk, hit_type_id)
        server.control.flush_notifications()
    finally:
        server.stop()
    messages = receive_all(sqs, queue_url)
    envelope = json.loads(messages[0]["Body"])
    assert envelope["Type"] == "Notification"
    document = json.loads(envelope["Message"])
    assert document["Events"][0]["HITId"] == hit["HITId"]


def test_events_before_the_settings_are_not_sent(mturk, emulator, sqs_server, sqs_queue):
    hit = new_hit(mturk, mturk.create_hit_type(**TYPE_PROPERTIES)["HITTypeId"])
    mturk.update_notification_settings(
        HITTypeId=hit["HITTypeId"],
        Notification={
            "Destination": sqs_queue,
            "Transport": "SQS",
            "Version": "2014-08-15",
            "EventTypes": ["HITCreated", "AssignmentAccepted"],
        },
    )
    emulator.accept(new_worker_id(), hit["HITId"])
    emulator.flush_notifications()
    events = events_of(receive_all(sqs_server.client(), sqs_queue))
    assert [e["EventType"] for e in events] == ["AssignmentAccepted"]


@pytest.mark.parametrize("seconds", [timedelta(days=31).total_seconds()])
def test_auto_approval_by_the_clock_is_notified(mturk, emulator, sqs_server, sqs_queue, seconds):
    hit_type_id = hit_type_with_notifications(mturk, sqs_queue, events=["AssignmentApproved"])
    hit = new_hit(mturk, hit_type_id)
    assignment_id = emulator.complete(new_worker_id(), hit["HITId"])
    emulator.advance(seconds)
    emulator.flush_notifications()
    events = events_of(receive_all(sqs_server.client(), sqs_queue))
    assert [(e["EventType"], e["AssignmentId"]) for e in events] == [
        ("AssignmentApproved", assignment_id)
    ]
