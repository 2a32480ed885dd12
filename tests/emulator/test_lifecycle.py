"""The HIT and assignment life cycle, driven by workers (control API) and the emulator clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.emulator import EmulatorControlError, access_key_of

from .conftest import create_hit, error_of, new_worker_id


def counters(mturk, hit_id: str) -> tuple[str, int, int, int]:
    hit = mturk.get_hit(HITId=hit_id)["HIT"]
    total = (
        hit["NumberOfAssignmentsAvailable"]
        + hit["NumberOfAssignmentsPending"]
        + hit["NumberOfAssignmentsCompleted"]
    )
    assert total == hit["MaxAssignments"]
    return (
        hit["HITStatus"],
        hit["NumberOfAssignmentsAvailable"],
        hit["NumberOfAssignmentsPending"],
        hit["NumberOfAssignmentsCompleted"],
    )


def test_it_walks_a_hit_through_its_whole_life(mturk, emulator):
    hit = create_hit(mturk, MaxAssignments=2)
    hit_id = hit["HITId"]
    assert counters(mturk, hit_id) == ("Assignable", 2, 0, 0)
    first = emulator.accept(new_worker_id(), hit_id)
    assert counters(mturk, hit_id) == ("Assignable", 1, 1, 0)
    second = emulator.accept(new_worker_id(), hit_id)
    assert counters(mturk, hit_id) == ("Unassignable", 0, 2, 0)
    emulator.submit(first, {"answer": "one"})
    assert counters(mturk, hit_id) == ("Unassignable", 0, 1, 1)
    emulator.submit(second, {"answer": "two"})
    assert counters(mturk, hit_id) == ("Reviewable", 0, 0, 2)
    mturk.update_hit_review_status(HITId=hit_id)
    assert counters(mturk, hit_id) == ("Reviewing", 0, 0, 2)
    mturk.approve_assignment(AssignmentId=first)
    mturk.reject_assignment(AssignmentId=second, RequesterFeedback="Empty answer")
    mturk.delete_hit(HITId=hit_id)
    assert counters(mturk, hit_id)[0] == "Disposed"
    events = [e["EventType"] for e in emulator.events(access_key_of(mturk)) if e["HITId"] == hit_id]
    assert events == [
        "HITCreated",
        "AssignmentAccepted",
        "AssignmentAccepted",
        "AssignmentSubmitted",
        "AssignmentSubmitted",
        "HITReviewable",
        "AssignmentApproved",
        "AssignmentRejected",
        "HITDisposed",
    ]


def test_returned_assignments_vanish_and_free_the_slot(mturk, emulator, worker_id, hit):
    assignment = emulator.accept(worker_id, hit["HITId"])
    assert counters(mturk, hit["HITId"]) == ("Unassignable", 0, 1, 0)
    emulator.return_assignment(assignment)
    assert counters(mturk, hit["HITId"]) == ("Assignable", 1, 0, 0)
    with pytest.raises(ClientError) as excinfo:
        mturk.get_assignment(AssignmentId=assignment)
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.AssignmentDoesNotExist"
    assert mturk.list_assignments_for_hit(HITId=hit["HITId"])["NumResults"] == 0
    assert emulator.accept(worker_id, hit["HITId"])


def test_assignments_are_abandoned_when_their_duration_passes(mturk, emulator, worker_id):
    hit = create_hit(mturk, AssignmentDurationInSeconds=300)
    assignment = emulator.accept(worker_id, hit["HITId"])
    emulator.advance(299)
    assert counters(mturk, hit["HITId"]) == ("Unassignable", 0, 1, 0)
    emulator.advance(2)
    assert counters(mturk, hit["HITId"]) == ("Assignable", 1, 0, 0)
    with pytest.raises(EmulatorControlError) as excinfo:
        emulator.submit(assignment, {"late": "yes"})
    assert excinfo.value.payload["error"] == "InvalidState"
    events = [e["EventType"] for e in emulator.events() if e["AssignmentId"] == assignment]
    assert events == ["AssignmentAccepted", "AssignmentAbandoned"]


def test_submitted_work_is_auto_approved_and_paid_when_the_delay_passes(mturk, emulator, worker_id):
    hit = create_hit(mturk, AutoApprovalDelayInSeconds=3600, Reward="1.00")
    assignment = emulator.accept(worker_id, hit["HITId"])
    emulator.submit(assignment, {"a": "b"})
    submitted = mturk.get_assignment(AssignmentId=assignment)["Assignment"]
    assert submitted["AssignmentStatus"] == "Submitted"
    assert submitted["AutoApprovalTime"] - submitted["SubmitTime"] == timedelta(hours=1)
    emulator.advance(3601)
    approved = mturk.get_assignment(AssignmentId=assignment)["Assignment"]
    assert approved["AssignmentStatus"] == "Approved"
    assert approved["ApprovalTime"] == submitted["AutoApprovalTime"]
    assert mturk.get_account_balance()["AvailableBalance"] == "9998.80"


def test_auto_approval_defaults_to_thirty_days(mturk, emulator, worker_id):
    hit = create_hit(mturk, AutoApprovalDelayInSeconds=None, LifetimeInSeconds=60)
    assert hit["AutoApprovalDelayInSeconds"] == 2592000
    assignment = emulator.accept(worker_id, hit["HITId"])
    emulator.submit(assignment, {"a": "b"})
    emulator.advance(29 * 86400)
    assert mturk.get_assignment(AssignmentId=assignment)["Assignment"]["AssignmentStatus"] == (
        "Submitted"
    )
    emulator.advance(86400 + 1)
    assert mturk.get_assignment(AssignmentId=assignment)["Assignment"]["AssignmentStatus"] == (
        "Approved"
    )


def test_a_hit_expires_at_its_expiration(mturk, emulator):
    hit = create_hit(mturk, LifetimeInSeconds=120, MaxAssignments=3)
    emulator.advance(119)
    assert counters(mturk, hit["HITId"])[0] == "Assignable"
    emulator.advance(2)
    assert counters(mturk, hit["HITId"]) == ("Reviewable", 3, 0, 0)
    events = [e["EventType"] for e in emulator.events() if e["HITId"] == hit["HITId"]]
    assert events == ["HITCreated", "HITExpired", "HITReviewable"]


def test_an_expired_hit_waits_for_work_in_progress(mturk, emulator, worker_id):
    hit = create_hit(mturk, LifetimeInSeconds=60, AssignmentDurationInSeconds=600)
    assignment = emulator.accept(worker_id, hit["HITId"])
    emulator.advance(61)
    assert counters(mturk, hit["HITId"])[0] == "Unassignable"
    emulator.submit(assignment, {"a": "b"})
    assert counters(mturk, hit["HITId"]) == ("Reviewable", 0, 0, 1)


def test_complete_accepts_and_submits(mturk, emulator, worker_id, hit):
    assignment = emulator.complete(worker_id, hit["HITId"], {"label": "cat"})
    answer = mturk.get_assignment(AssignmentId=assignment)["Assignment"]
    assert answer["AssignmentStatus"] == "Submitted"
    assert "<FreeText>cat</FreeText>" in answer["Answer"]


def test_an_expired_hit_becomes_reviewable_when_work_in_progress_is_abandoned(mturk, emulator):
    hit = create_hit(mturk, LifetimeInSeconds=60, AssignmentDurationInSeconds=600)
    emulator.accept(new_worker_id(), hit["HITId"])
    emulator.advance(601)
    assert counters(mturk, hit["HITId"]) == ("Reviewable", 1, 0, 0)


def test_extension_emits_hit_extended(mturk, emulator, hit):
    mturk.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=emulator.now() + timedelta(days=2))
    assert "HITExtended" in [
        e["EventType"] for e in emulator.events() if e["HITId"] == hit["HITId"]
    ]


def test_decided_hits_are_disposed_after_120_days(mturk, emulator, submitted):
    hit, assignment_id, _ = submitted
    mturk.approve_assignment(AssignmentId=assignment_id)
    emulator.advance(119 * 86400)
    assert counters(mturk, hit["HITId"])[0] == "Reviewable"
    emulator.advance(2 * 86400)
    assert counters(mturk, hit["HITId"])[0] == "Disposed"
    assert "HITDisposed" in [
        e["EventType"] for e in emulator.events() if e["HITId"] == hit["HITId"]
    ]
    assert hit["HITId"] not in [h["HITId"] for h in mturk.list_hits()["HITs"]]


def test_the_clock_reports_emulator_time(emulator):
    before = emulator.now()
    after = emulator.advance(3600)
    assert timedelta(hours=1) <= after - before < timedelta(hours=1, seconds=5)
    assert emulator.now() >= after


def test_the_clock_never_goes_backwards_or_leaps_centuries(emulator):
    with pytest.raises(EmulatorControlError) as excinfo:
        emulator.advance(-5)
    assert excinfo.value.status == 400
    with pytest.raises(EmulatorControlError) as excinfo:
        emulator.advance(1e13)
    assert "advance_seconds" in excinfo.value.payload["message"]


def test_a_reviewing_hit_that_is_extended_is_assignable_again(mturk, emulator, submitted):
    hit, _, _ = submitted
    mturk.update_hit_review_status(HITId=hit["HITId"])
    mturk.create_additional_assignments_for_hit(HITId=hit["HITId"], NumberOfAdditionalAssignments=1)
    assert counters(mturk, hit["HITId"]) == ("Assignable", 1, 0, 1)
