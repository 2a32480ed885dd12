"""The whole notification path with nothing simulated: the local MTurk sends its events to a
local SQS (moto server), and the dashboard's poller mirrors them, with no reconciliation."""

from __future__ import annotations

import time

import pytest

from apps.hits.models import HIT, Assignment
from apps.notifications.models import NotificationEvent
from apps.notifications.services import hit_type_notifications_configure, notifications_poll
from apps.sync.services import requester_sync
from tests.helpers import create_hit, new_worker_id

pytestmark = pytest.mark.django_db(transaction=True)


def _poll_until(account, predicate, timeout: float = 15.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        notifications_poll(requester=account, wait_seconds=1)
        if predicate():
            return time.monotonic() - started
    pytest.fail("the notification did not arrive")


def test_a_submission_is_mirrored_through_notifications_alone_within_seconds(
    queued_account, account_mturk, emulator
):
    hit = create_hit(account_mturk, MaxAssignments=2)
    requester_sync(requester=queued_account)  # the dashboard knows the HIT type, as after a launch
    assert hit_type_notifications_configure(requester=queued_account, hit_type_id=hit["HITTypeId"])
    calls_before = emulator.stats()["customers"][queued_account.access_key_id].get("ListHITs", 0)

    assignment_id = emulator.accept(new_worker_id(), hit["HITId"])
    emulator.submit(assignment_id, answers={"label": "heron"})

    waited = _poll_until(
        queued_account, lambda: Assignment.objects.filter(mturk_id=assignment_id).exists()
    )
    assert waited < 10
    assert Assignment.objects.get(mturk_id=assignment_id).answers == {"label": "heron"}
    assert (
        emulator.stats()["customers"][queued_account.access_key_id].get("ListHITs", 0)
        == calls_before
    )
    types = set(NotificationEvent.objects.values_list("event_type", flat=True))
    assert {"AssignmentAccepted", "AssignmentSubmitted"} <= types


def test_approval_by_mturk_itself_arrives_as_an_event(queued_account, account_mturk, emulator):
    hit = create_hit(account_mturk, AutoApprovalDelayInSeconds=3600)
    requester_sync(requester=queued_account)
    hit_type_notifications_configure(requester=queued_account, hit_type_id=hit["HITTypeId"])
    assignment_id = emulator.accept(new_worker_id(), hit["HITId"])
    emulator.submit(assignment_id, answers={"label": "x"})
    emulator.advance(3700)  # MTurk auto-approves
    _poll_until(
        queued_account,
        lambda: Assignment.objects.filter(mturk_id=assignment_id, status="Approved").exists(),
    )
    assert HIT.objects.get(mturk_id=hit["HITId"]).completed == 1


def test_send_test_notification_and_the_ping_shows(login, alice, queued_account):
    client = login(alice)
    response = client.post(f"/accounts/{queued_account.pk}/notifications/test/", follow=True)
    assert "Test notification sent" in response.content.decode()
    _poll_until(
        queued_account, lambda: NotificationEvent.objects.filter(event_type="Ping").exists()
    )
    fragment = client.get(
        f"/accounts/{queued_account.pk}/notifications/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Last test ping" in fragment and "received" in fragment
