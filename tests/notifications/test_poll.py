"""The notification path against a real local SQS (moto server) and a real local MTurk."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.hits.models import HIT, Assignment
from apps.notifications.models import NotificationEvent, NotificationMessage
from apps.notifications.services import notifications_poll
from apps.requesters.models import Requester
from apps.sync.services import requester_sync
from tests.helpers import create_hit, work
from tests.notifications.conftest import document

pytestmark = pytest.mark.django_db(transaction=True)


def _event(hit: dict, event_type: str, assignment_id: str = "") -> dict:
    event = {"EventType": event_type, "HITTypeId": hit["HITTypeId"], "HITId": hit["HITId"]}
    if assignment_id:
        event["AssignmentId"] = assignment_id
    return event


def _get_calls(emulator, account, operation) -> int:
    return emulator.stats()["customers"].get(account.access_key_id, {}).get(operation, 0)


def test_a_submission_arrives_through_the_notification_alone(
    queued_account, account_mturk, emulator, deliver, sqs_server
):
    hit = create_hit(account_mturk)
    assignment_id, _ = work(emulator, hit["HITId"], {"label": "dog"})
    deliver(document(_event(hit, "AssignmentSubmitted", assignment_id)))

    result = notifications_poll(requester=queued_account, wait_seconds=1)

    assert (result.received, result.stored_events, result.processed, result.failed) == (1, 1, 1, 0)
    assignment = Assignment.objects.get(requester=queued_account, mturk_id=assignment_id)
    assert assignment.answers == {"label": "dog"}
    assert assignment.hit.mturk_id == hit["HITId"]
    assert _get_calls(emulator, queued_account, "ListHITs") == 0  # no reconciliation involved
    message = NotificationMessage.objects.get()
    assert message.processed_at is not None and message.refused == ""
    # deleted from SQS once stored
    leftover = sqs_server.client().receive_message(
        QueueUrl=queued_account.sqs_queue_url, WaitTimeSeconds=0
    )
    assert "Messages" not in leftover


def test_a_duplicate_delivery_is_processed_once(queued_account, account_mturk, emulator, deliver):
    hit = create_hit(account_mturk)
    assignment_id, _ = work(emulator, hit["HITId"])
    doc = document(_event(hit, "AssignmentSubmitted", assignment_id))
    deliver(doc)
    deliver(doc)

    first = notifications_poll(requester=queued_account, wait_seconds=1)
    second = notifications_poll(requester=queued_account, wait_seconds=1)

    assert first.received + second.received == 2
    assert first.duplicates + second.duplicates == 1
    assert NotificationMessage.objects.count() == 2
    assert NotificationEvent.objects.count() == 1
    assert _get_calls(emulator, queued_account, "GetAssignment") == 1


def test_reordered_events_end_in_the_right_state(queued_account, account_mturk, emulator, deliver):
    hit = create_hit(account_mturk)
    assignment_id, _ = work(emulator, hit["HITId"])
    account_mturk.approve_assignment(AssignmentId=assignment_id)
    deliver(document(_event(hit, "AssignmentApproved", assignment_id)))
    notifications_poll(requester=queued_account, wait_seconds=1)
    deliver(document(_event(hit, "AssignmentSubmitted", assignment_id)))
    notifications_poll(requester=queued_account, wait_seconds=1)
    assert Assignment.objects.get(mturk_id=assignment_id).status == "Approved"


def test_hit_events_reread_the_hit_and_sns_envelopes_are_unwrapped(
    queued_account, account_mturk, emulator, deliver
):
    hit = create_hit(account_mturk, MaxAssignments=2)
    work(emulator, hit["HITId"])
    deliver(
        document(_event(hit, "HITCreated"), _event(hit, "AssignmentAccepted", "X" * 30)), sns=True
    )
    result = notifications_poll(requester=queued_account, wait_seconds=1)
    assert result.processed == 2
    mirrored = HIT.objects.get(mturk_id=hit["HITId"])
    assert mirrored.completed == 1
    assert _get_calls(emulator, queued_account, "GetHIT") == 1  # one read for two events of one HIT


def test_a_message_not_from_mturk_is_stored_and_refused(queued_account, account_mturk, deliver):
    Requester.objects.filter(pk=queued_account.pk).update(environment="production")
    queued_account.refresh_from_db()
    hit = create_hit(account_mturk)
    deliver(document(_event(hit, "HITCreated")))
    result = notifications_poll(requester=queued_account, wait_seconds=1)
    assert result.refused == 1
    message = NotificationMessage.objects.get()
    assert message.refused.startswith("sender AIDAIT2UOQQY3AUEKVGXU is not MTurk")
    assert not NotificationEvent.objects.exists()
    assert not HIT.objects.exists()


def test_garbage_is_stored_refused_and_deleted(queued_account, sqs_server):
    sqs_server.client().send_message(
        QueueUrl=queued_account.sqs_queue_url, MessageBody="<script>not json"
    )
    result = notifications_poll(requester=queued_account, wait_seconds=1)
    assert result.refused == 1
    assert NotificationMessage.objects.get().refused.startswith("unreadable")


def test_a_failing_event_is_kept_with_its_error_and_replayed(
    queued_account, account_mturk, emulator, deliver
):
    hit = create_hit(account_mturk)
    assignment_id, _ = work(emulator, hit["HITId"])
    emulator.faults(error_rate=1.0, operations=["GetAssignment"])
    deliver(document(_event(hit, "AssignmentSubmitted", assignment_id)))
    result = notifications_poll(requester=queued_account, wait_seconds=1)
    assert result.failed == 1
    event = NotificationEvent.objects.get()
    assert event.processed_at is None and event.attempts == 1
    assert "ServiceFault" in event.exception or event.exception
    assert event.next_attempt_at is not None

    emulator.clear_faults()
    call_command("reprocess_notifications", "--failed")
    event.refresh_from_db()
    assert event.processed_at is not None and event.exception == ""
    assert Assignment.objects.filter(mturk_id=assignment_id).exists()


def test_an_sqs_outage_is_caught_up_by_reconciliation(queued_account, account_mturk, emulator):
    from apps.mturk.errors import MTurkUnavailable

    Requester.objects.filter(pk=queued_account.pk).update(
        sqs_queue_url="http://127.0.0.1:9/123456789012/gone"
    )
    queued_account.refresh_from_db()
    hit = create_hit(account_mturk)
    assignment_id, _ = work(emulator, hit["HITId"])
    with pytest.raises(MTurkUnavailable):
        notifications_poll(requester=queued_account, wait_seconds=1)
    assert not Assignment.objects.exists()
    requester_sync(requester=queued_account)
    assert Assignment.objects.get(mturk_id=assignment_id).status == "Submitted"


def test_a_real_worker_polls_the_queue(
    queued_account, account_mturk, emulator, deliver, celery_worker_process
):
    from apps.notifications.tasks import notifications_poll as poll_task
    from tests.fixtures.celery import wait_for

    hit = create_hit(account_mturk)
    assignment_id, _ = work(emulator, hit["HITId"])
    deliver(document(_event(hit, "AssignmentSubmitted", assignment_id)))
    poll_task.delay(queued_account.pk)
    wait_for(
        lambda: Assignment.objects.filter(mturk_id=assignment_id).exists(), message="the assignment"
    )
