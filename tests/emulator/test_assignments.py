"""Assignments, approvals, rejections, bonuses, balance and fees."""

from __future__ import annotations

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from .conftest import create_hit, error_of, new_worker_id


def balance(mturk) -> Decimal:
    return Decimal(mturk.get_account_balance()["AvailableBalance"])


def test_it_gets_an_assignment_with_its_hit(mturk, submitted):
    hit, assignment_id, worker_id = submitted
    answer = mturk.get_assignment(AssignmentId=assignment_id)
    assignment = answer["Assignment"]
    assert assignment["AssignmentId"] == assignment_id
    assert assignment["WorkerId"] == worker_id
    assert assignment["HITId"] == hit["HITId"]
    assert assignment["AssignmentStatus"] == "Submitted"
    assert "<FreeText>a cat</FreeText>" in assignment["Answer"]
    assert "QuestionFormAnswers" in assignment["Answer"]
    assert assignment["AcceptTime"] <= assignment["SubmitTime"] < assignment["AutoApprovalTime"]
    assert answer["HIT"]["HITId"] == hit["HITId"]


def test_a_listed_assignment_reads_as_get_assignment_does(mturk, submitted):
    """ListAssignmentsForHIT serialises plain rows, GetAssignment the model: both agree, for a
    submitted and for a rejected assignment (with its feedback and rejection time)."""
    hit, assignment_id, _ = submitted
    [listed] = mturk.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
    assert listed == mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    mturk.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="Not a cat.")
    [listed] = mturk.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]
    assert listed == mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert listed["RequesterFeedback"] == "Not a cat."


def test_an_unknown_hit_has_no_assignments_to_list(mturk):
    with pytest.raises(ClientError) as excinfo:
        mturk.list_assignments_for_hit(HITId="NOSUCHHIT")
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.HITDoesNotExist"


def test_accepted_assignments_are_invisible(mturk, emulator, worker_id, hit):
    assignment = emulator.accept(worker_id, hit["HITId"])
    with pytest.raises(ClientError) as excinfo:
        mturk.get_assignment(AssignmentId=assignment)
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.AssignmentDoesNotExist"


def test_it_keeps_a_raw_answer_xml(mturk, emulator, worker_id, hit):
    assignment = emulator.accept(worker_id, hit["HITId"])
    xml = (
        '<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/'
        'AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer>'
        "<QuestionIdentifier>x</QuestionIdentifier><FreeText>y</FreeText></Answer>"
        "</QuestionFormAnswers>"
    )
    emulator.submit(assignment, answer_xml=xml)
    assert mturk.get_assignment(AssignmentId=assignment)["Assignment"]["Answer"] == xml


def test_it_lists_assignments_by_status_in_pages(mturk, emulator):
    hit = create_hit(mturk, MaxAssignments=5)
    ids = []
    for _ in range(5):
        assignment = emulator.accept(new_worker_id(), hit["HITId"])
        emulator.submit(assignment, {"a": "b"})
        ids.append(assignment)
    mturk.approve_assignment(AssignmentId=ids[0])
    mturk.reject_assignment(AssignmentId=ids[1], RequesterFeedback="No")
    listed = []
    page = mturk.list_assignments_for_hit(HITId=hit["HITId"], MaxResults=2)
    listed += page["Assignments"]
    while "NextToken" in page:
        page = mturk.list_assignments_for_hit(
            HITId=hit["HITId"], MaxResults=2, NextToken=page["NextToken"]
        )
        listed += page["Assignments"]
    assert [a["AssignmentId"] for a in listed] == ids
    submitted = mturk.list_assignments_for_hit(HITId=hit["HITId"], AssignmentStatuses=["Submitted"])
    assert [a["AssignmentId"] for a in submitted["Assignments"]] == ids[2:]
    decided = mturk.list_assignments_for_hit(
        HITId=hit["HITId"], AssignmentStatuses=["Approved", "Rejected"]
    )
    assert {a["AssignmentStatus"] for a in decided["Assignments"]} == {"Approved", "Rejected"}


def test_it_approves_and_charges_reward_plus_fee(mturk, submitted):
    _, assignment_id, _ = submitted
    mturk.approve_assignment(AssignmentId=assignment_id, RequesterFeedback="Thanks!")
    assignment = mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert assignment["AssignmentStatus"] == "Approved"
    assert assignment["RequesterFeedback"] == "Thanks!"
    assert "ApprovalTime" in assignment
    assert balance(mturk) == Decimal("10000.00") - Decimal("0.50") - Decimal("0.10")


@pytest.mark.parametrize(
    ("reward", "max_assignments", "masters", "cost"),
    [
        ("0.01", 1, False, "0.02"),  # minimum fee of one cent
        ("0.03", 1, False, "0.04"),  # 0.006 rounds up to 0.01
        ("1.00", 10, False, "1.40"),  # 20% + 20% for 10 or more assignments
        ("1.00", 1, True, "1.25"),  # 20% + 5% Masters
        ("0.25", 12, True, "0.36"),  # 45% of 0.25 = 0.1125 -> 0.11
    ],
)
def test_approval_fees_follow_mturk_pricing(
    mturk, emulator, reward, max_assignments, masters, cost
):
    requirements = (
        [{"QualificationTypeId": "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6", "Comparator": "Exists"}]
        if masters
        else None
    )
    hit = create_hit(
        mturk,
        Reward=reward,
        MaxAssignments=max_assignments,
        QualificationRequirements=requirements,
    )
    worker = new_worker_id()
    if masters:
        emulator.set_worker(worker, Masters=True)
    assignment = emulator.accept(worker, hit["HITId"])
    emulator.submit(assignment, {"a": "b"})
    mturk.approve_assignment(AssignmentId=assignment)
    assert balance(mturk) == Decimal("10000.00") - Decimal(cost)


def test_approving_twice_is_an_invalid_state(mturk, submitted):
    _, assignment_id, _ = submitted
    mturk.approve_assignment(AssignmentId=assignment_id)
    with pytest.raises(ClientError) as excinfo:
        mturk.approve_assignment(AssignmentId=assignment_id)
    kind, code, message = error_of(excinfo)
    assert (kind, code) == ("RequestError", "AWS.MechanicalTurk.InvalidAssignmentState")
    assert message.startswith("This operation can be called with a status of: Submitted")
    assert balance(mturk) == Decimal("9999.40")


def test_it_rejects_with_feedback(mturk, submitted):
    _, assignment_id, _ = submitted
    mturk.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="Blank answer")
    assignment = mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert assignment["AssignmentStatus"] == "Rejected"
    assert assignment["RequesterFeedback"] == "Blank answer"
    assert "RejectionTime" in assignment
    assert balance(mturk) == Decimal("10000.00")
    with pytest.raises(ClientError) as excinfo:
        mturk.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="again")
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InvalidAssignmentState"


@pytest.mark.parametrize(
    ("feedback", "code"),
    [
        ("", "AWS.MechanicalTurk.MissingParameter"),
        ("x" * 1025, "AWS.ParameterOutOfRange"),
        ("bell\x07", "AWS.MechanicalTurk.InvalidParameterValue"),
    ],
)
def test_it_checks_requester_feedback(mturk, submitted, feedback, code):
    _, assignment_id, _ = submitted
    with pytest.raises(ClientError) as excinfo:
        mturk.reject_assignment(AssignmentId=assignment_id, RequesterFeedback=feedback)
    _, turk_code, message = error_of(excinfo)
    assert turk_code == code
    assert "RequesterFeedback" in message


def test_feedback_may_hold_newlines_and_1024_characters(mturk, submitted):
    _, assignment_id, _ = submitted
    feedback = "line one\nline two\t" + "x" * 1006
    assert len(feedback) == 1024
    mturk.approve_assignment(AssignmentId=assignment_id, RequesterFeedback=feedback)


def test_a_rejection_can_be_overridden_within_30_days(mturk, emulator, submitted):
    _, assignment_id, _ = submitted
    mturk.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="Oops")
    with pytest.raises(ClientError) as excinfo:
        mturk.approve_assignment(AssignmentId=assignment_id)
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InvalidAssignmentState"
    emulator.advance(29 * 86400)
    mturk.approve_assignment(AssignmentId=assignment_id, OverrideRejection=True)
    assignment = mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert assignment["AssignmentStatus"] == "Approved"
    assert balance(mturk) == Decimal("9999.40")


def test_a_rejection_cannot_be_overridden_after_30_days(mturk, emulator, submitted):
    _, assignment_id, _ = submitted
    mturk.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="Oops")
    emulator.advance(31 * 86400)
    with pytest.raises(ClientError) as excinfo:
        mturk.approve_assignment(AssignmentId=assignment_id, OverrideRejection=True)
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InvalidAssignmentState"
    assert balance(mturk) == Decimal("10000.00")


def test_a_rejection_cannot_be_overridden_once_the_hit_is_deleted(mturk, submitted):
    """ApproveAssignment: overriding "only works ... if the assignment's related HIT has not
    been deleted"."""
    hit, assignment_id, _ = submitted
    mturk.reject_assignment(AssignmentId=assignment_id, RequesterFeedback="Oops")
    mturk.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=0)
    mturk.delete_hit(HITId=hit["HITId"])
    with pytest.raises(ClientError) as excinfo:
        mturk.approve_assignment(AssignmentId=assignment_id, OverrideRejection=True)
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InvalidAssignmentState"
    assert "deleted" in error_of(excinfo)[2]
    assert balance(mturk) == Decimal("10000.00")


def test_approving_without_enough_money_changes_nothing(mturk, emulator, worker_id):
    hit = create_hit(mturk, Reward="4500.00", MaxAssignments=2)
    first = emulator.accept(worker_id, hit["HITId"])
    second = emulator.accept(new_worker_id(), hit["HITId"])
    emulator.submit(first, {"a": "b"})
    emulator.submit(second, {"a": "b"})
    mturk.approve_assignment(AssignmentId=first)
    assert balance(mturk) == Decimal("4600.00")
    with pytest.raises(ClientError) as excinfo:
        mturk.approve_assignment(AssignmentId=second)
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InsufficientFunds"
    status = mturk.get_assignment(AssignmentId=second)["Assignment"]["AssignmentStatus"]
    assert status == "Submitted"
    assert balance(mturk) == Decimal("4600.00")


def test_it_pays_bonuses_with_fees_and_lists_them(mturk, submitted):
    hit, assignment_id, worker_id = submitted
    mturk.send_bonus(
        WorkerId=worker_id, BonusAmount="1.00", AssignmentId=assignment_id, Reason="Great work"
    )
    mturk.send_bonus(
        WorkerId=worker_id, BonusAmount="0.02", AssignmentId=assignment_id, Reason="Tip"
    )
    assert balance(mturk) == Decimal("10000.00") - Decimal("1.20") - Decimal("0.03")
    by_hit = mturk.list_bonus_payments(HITId=hit["HITId"])
    assert by_hit["NumResults"] == 2
    first = by_hit["BonusPayments"][0]
    assert first["WorkerId"] == worker_id
    assert first["BonusAmount"] == "1.00"
    assert first["AssignmentId"] == assignment_id
    assert first["Reason"] == "Great work"
    assert "GrantTime" in first
    page = mturk.list_bonus_payments(AssignmentId=assignment_id, MaxResults=1)
    assert page["NumResults"] == 1
    rest = mturk.list_bonus_payments(
        AssignmentId=assignment_id, MaxResults=1, NextToken=page["NextToken"]
    )
    assert rest["BonusPayments"][0]["BonusAmount"] == "0.02"


def test_list_bonus_payments_needs_a_hit_or_an_assignment(mturk):
    with pytest.raises(ClientError) as excinfo:
        mturk.list_bonus_payments()
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InvalidParameterValue"


def test_a_bonus_goes_only_to_the_worker_who_did_the_assignment(mturk, submitted):
    _, assignment_id, _ = submitted
    with pytest.raises(ClientError) as excinfo:
        mturk.send_bonus(
            WorkerId=new_worker_id(), BonusAmount="1.00", AssignmentId=assignment_id, Reason="x"
        )
    assert "WorkerId" in error_of(excinfo)[2]
    assert balance(mturk) == Decimal("10000.00")


def test_a_bonus_needs_a_submitted_assignment(mturk, emulator, worker_id, hit):
    assignment = emulator.accept(worker_id, hit["HITId"])
    with pytest.raises(ClientError) as excinfo:
        mturk.send_bonus(
            WorkerId=worker_id, BonusAmount="1.00", AssignmentId=assignment, Reason="early"
        )
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.AssignmentDoesNotExist"


@pytest.mark.parametrize(
    ("amount", "code"),
    [("0.00", "AWS.ParameterOutOfRange"), ("1.001", "AWS.MechanicalTurk.InvalidParameterValue")],
)
def test_it_checks_bonus_amounts(emulator_server, submitted, mturk, amount, code):
    from tests.fixtures.emulator import access_key_of, make_mturk_client

    _, assignment_id, worker_id = submitted
    client = make_mturk_client(
        emulator_server.url,
        access_key_id=access_key_of(mturk),
        parameter_validation=False,
    )
    with pytest.raises(ClientError) as excinfo:
        client.send_bonus(
            WorkerId=worker_id, BonusAmount=amount, AssignmentId=assignment_id, Reason="x"
        )
    assert error_of(excinfo)[1] == code
    assert "BonusAmount" in error_of(excinfo)[2]


def test_a_bonus_without_enough_money_changes_nothing(mturk, submitted):
    hit, assignment_id, worker_id = submitted
    with pytest.raises(ClientError) as excinfo:
        mturk.send_bonus(
            WorkerId=worker_id, BonusAmount="9000.00", AssignmentId=assignment_id, Reason="x"
        )
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InsufficientFunds"
    assert balance(mturk) == Decimal("10000.00")
    assert mturk.list_bonus_payments(HITId=hit["HITId"])["NumResults"] == 0


def test_get_file_upload_url_answers_a_clear_error(mturk, emulator, worker_id):
    from .conftest import question_form

    hit = create_hit(mturk, Question=question_form("q1", upload="photo"))
    assignment = emulator.accept(worker_id, hit["HITId"])
    emulator.submit(assignment, {"q1": "x"})
    with pytest.raises(ClientError) as excinfo:
        mturk.get_file_upload_url(AssignmentId=assignment, QuestionIdentifier="photo")
    assert "no file upload answer" in error_of(excinfo)[2]
    with pytest.raises(ClientError) as excinfo:
        mturk.get_file_upload_url(AssignmentId=assignment, QuestionIdentifier="q1")
    _, code, message = error_of(excinfo)
    assert code == "AWS.MechanicalTurk.InvalidParameterValue"
    assert "QuestionIdentifier" in message
