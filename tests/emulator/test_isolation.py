"""Each access key id is one customer: nobody sees, changes or learns of another's objects."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.emulator import make_mturk_client

from .conftest import HTML_QUESTION, create_hit, error_of, new_worker_id


@pytest.fixture
def intruder(emulator_server):
    return make_mturk_client(emulator_server.url)


def code_of(call) -> str:
    with pytest.raises(ClientError) as excinfo:
        call()
    return error_of(excinfo)[1]


def test_another_customer_cannot_see_or_touch_my_objects(mturk, intruder, emulator, submitted):
    hit, assignment_id, worker = submitted
    hit_id, type_id = hit["HITId"], hit["HITTypeId"]
    qtype = mturk.create_qualification_type(
        Name="Private", Description="d", QualificationTypeStatus="Active"
    )["QualificationType"]["QualificationTypeId"]
    mturk.create_worker_block(WorkerId=new_worker_id(), Reason="mine")

    assert intruder.list_hits()["NumResults"] == 0
    assert intruder.list_reviewable_hits()["NumResults"] == 0
    assert intruder.list_worker_blocks()["NumResults"] == 0
    owned = intruder.list_qualification_types(MustBeRequestable=False, MustBeOwnedByCaller=True)
    assert owned["NumResults"] == 0
    all_types = intruder.list_qualification_types(MustBeRequestable=False, MaxResults=100)
    assert qtype not in {q["QualificationTypeId"] for q in all_types["QualificationTypes"]}

    hit_missing = "AWS.MechanicalTurk.HITDoesNotExist"
    assert code_of(lambda: intruder.get_hit(HITId=hit_id)) == hit_missing
    assert code_of(lambda: intruder.list_assignments_for_hit(HITId=hit_id)) == hit_missing
    assert code_of(lambda: intruder.delete_hit(HITId=hit_id)) == hit_missing
    assert (
        code_of(lambda: intruder.update_expiration_for_hit(HITId=hit_id, ExpireAt=0)) == hit_missing
    )
    assert (
        code_of(
            lambda: intruder.create_additional_assignments_for_hit(
                HITId=hit_id, NumberOfAdditionalAssignments=1
            )
        )
        == hit_missing
    )
    assignment_missing = "AWS.MechanicalTurk.AssignmentDoesNotExist"
    assert code_of(lambda: intruder.get_assignment(AssignmentId=assignment_id)) == (
        assignment_missing
    )
    assert code_of(lambda: intruder.approve_assignment(AssignmentId=assignment_id)) == (
        assignment_missing
    )
    assert (
        code_of(
            lambda: intruder.send_bonus(
                WorkerId=worker, BonusAmount="1.00", AssignmentId=assignment_id, Reason="x"
            )
        )
        == assignment_missing
    )
    assert (
        code_of(
            lambda: intruder.create_hit_with_hit_type(
                HITTypeId=type_id, LifetimeInSeconds=60, Question=HTML_QUESTION
            )
        )
        == "AWS.MechanicalTurk.HITTypeDoesNotExist"
    )
    qtype_missing = "AWS.MechanicalTurk.QualificationTypeDoesNotExist"
    assert code_of(lambda: intruder.get_qualification_type(QualificationTypeId=qtype)) == (
        qtype_missing
    )
    assert (
        code_of(
            lambda: create_hit(
                intruder,
                QualificationRequirements=[{"QualificationTypeId": qtype, "Comparator": "Exists"}],
            )
        )
        == qtype_missing
    )

    assignment = mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert assignment["AssignmentStatus"] == "Submitted"
    assert mturk.get_hit(HITId=hit_id)["HIT"]["MaxAssignments"] == 1
    assert intruder.get_account_balance()["AvailableBalance"] == "10000.00"


def test_balances_are_per_customer(mturk, intruder, submitted):
    _, assignment_id, _ = submitted
    mturk.approve_assignment(AssignmentId=assignment_id)
    assert mturk.get_account_balance()["AvailableBalance"] == "9999.40"
    assert intruder.get_account_balance()["AvailableBalance"] == "10000.00"
