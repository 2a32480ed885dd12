"""HIT types and HITs over boto3."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.emulator import EmulatorControlError, make_mturk_client

from .conftest import (
    EXTERNAL_QUESTION,
    HTML_QUESTION,
    create_hit,
    error_of,
    new_worker_id,
    question_form,
)

MTURK_ID = re.compile(r"^[A-Z0-9]{30}$")


def test_it_creates_a_hit_with_mturk_shaped_fields(mturk):
    hit = create_hit(mturk, MaxAssignments=3, RequesterAnnotation="batch 7")
    assert MTURK_ID.match(hit["HITId"])
    assert MTURK_ID.match(hit["HITTypeId"])
    assert hit["HITStatus"] == "Assignable"
    assert hit["Reward"] == "0.50"
    assert hit["MaxAssignments"] == 3
    assert hit["NumberOfAssignmentsAvailable"] == 3
    assert hit["NumberOfAssignmentsPending"] == 0
    assert hit["NumberOfAssignmentsCompleted"] == 0
    assert hit["RequesterAnnotation"] == "batch 7"
    assert hit["HITReviewStatus"] == "NotReviewed"
    assert hit["Question"] == HTML_QUESTION
    lifetime = hit["Expiration"] - hit["CreationTime"]
    assert abs(lifetime - timedelta(hours=1)) < timedelta(seconds=2)


def test_it_accepts_external_questions_and_question_forms(mturk):
    assert create_hit(mturk, Question=EXTERNAL_QUESTION)["HITStatus"] == "Assignable"
    assert create_hit(mturk, Question=question_form("q1", "q2"))["HITStatus"] == "Assignable"


def test_it_shares_one_hit_type_between_identical_hits(mturk):
    first = create_hit(mturk)
    second = create_hit(mturk, LifetimeInSeconds=7200)
    other = create_hit(mturk, Reward="0.51")
    assert first["HITTypeId"] == second["HITTypeId"]
    assert other["HITTypeId"] != first["HITTypeId"]


def test_it_creates_hit_types_and_hits_of_that_type(mturk):
    type_id = mturk.create_hit_type(
        Title="Transcribe",
        Description="Type the text",
        Reward="1.25",
        AssignmentDurationInSeconds=300,
        Keywords="text",
    )["HITTypeId"]
    again = mturk.create_hit_type(
        Title="Transcribe",
        Description="Type the text",
        Reward="1.25",
        AssignmentDurationInSeconds=300,
        Keywords="text",
    )["HITTypeId"]
    assert again == type_id
    hit = mturk.create_hit_with_hit_type(
        HITTypeId=type_id, LifetimeInSeconds=600, Question=HTML_QUESTION, MaxAssignments=2
    )["HIT"]
    assert hit["HITTypeId"] == type_id
    assert hit["Title"] == "Transcribe"
    assert hit["Reward"] == "1.25"
    assert hit["AutoApprovalDelayInSeconds"] == 2592000


def test_it_refuses_an_unknown_hit_type(mturk):
    with pytest.raises(ClientError) as excinfo:
        mturk.create_hit_with_hit_type(
            HITTypeId="NOSUCHTYPE", LifetimeInSeconds=600, Question=HTML_QUESTION
        )
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.HITTypeDoesNotExist"


def test_it_gets_a_hit(mturk, hit):
    fetched = mturk.get_hit(HITId=hit["HITId"])["HIT"]
    assert fetched["HITId"] == hit["HITId"]
    assert fetched["Title"] == hit["Title"]


def test_it_answers_hit_does_not_exist(mturk):
    with pytest.raises(ClientError) as excinfo:
        mturk.get_hit(HITId="NOSUCHHIT")
    kind, code, message = error_of(excinfo)
    assert (kind, code) == ("RequestError", "AWS.MechanicalTurk.HITDoesNotExist")
    assert "NOSUCHHIT" in message


def test_it_lists_hits_in_pages(mturk):
    created = [create_hit(mturk)["HITId"] for _ in range(5)]
    seen = []
    page = mturk.list_hits(MaxResults=2)
    assert page["NumResults"] == 2
    seen += [h["HITId"] for h in page["HITs"]]
    while "NextToken" in page:
        page = mturk.list_hits(MaxResults=2, NextToken=page["NextToken"])
        seen += [h["HITId"] for h in page["HITs"]]
    assert seen == created


def test_a_listed_hit_reads_as_get_hit_does(mturk):
    """ListHITs serialises from plain rows, GetHIT from the model: the two must agree."""
    hit_id = create_hit(mturk, RequesterAnnotation="batch 7", Keywords="a, b")["HITId"]
    [listed] = [h for h in mturk.list_hits()["HITs"] if h["HITId"] == hit_id]
    assert listed == mturk.get_hit(HITId=hit_id)["HIT"]
    assert listed["RequesterAnnotation"] == "batch 7"


def test_it_refuses_a_forged_next_token(mturk):
    with pytest.raises(ClientError) as excinfo:
        mturk.list_hits(NextToken="not-a-token")
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InvalidParameterValue"


def test_boto3_paginator_walks_every_page(mturk):
    created = {create_hit(mturk)["HITId"] for _ in range(3)}
    pages = mturk.get_paginator("list_hits").paginate(PaginationConfig={"PageSize": 1})
    assert {h["HITId"] for page in pages for h in page["HITs"]} == created


@pytest.mark.parametrize(
    ("overrides", "code", "named"),
    [
        ({"Question": "<HTMLQuestion><oops"}, "AWS.MechanicalTurk.XMLParseError", "Question"),
        (
            {"Question": "<Question xmlns='urn:x'>hi</Question>"},
            "AWS.MechanicalTurk.XMLParseError",
            "Question",
        ),
        (
            {
                "Question": HTML_QUESTION.replace(
                    "<FrameHeight>0</FrameHeight>", "<FrameHeight>tall</FrameHeight>"
                )
            },
            "AWS.MechanicalTurk.XMLParseError",
            "FrameHeight",
        ),
        (
            {"Question": EXTERNAL_QUESTION.replace("https://", "http://")},
            "AWS.MechanicalTurk.XMLParseError",
            "ExternalURL",
        ),
        (
            {
                "Question": question_form("q1").replace(
                    "<Text>Say something</Text>",
                    "<FormattedContent><![CDATA[<p>unclosed]]></FormattedContent>",
                )
            },
            "AWS.MechanicalTurk.XHTMLParseError",
            "FormattedContent",
        ),
        (
            {"Question": HTML_QUESTION.replace("<form>", "<form>" + "x" * 70000)},
            "AWS.ParameterOutOfRange",
            "Question",
        ),
        ({"Question": None}, "AWS.MechanicalTurk.MissingParameter", "Question"),
        ({"LifetimeInSeconds": 29}, "AWS.ParameterOutOfRange", "LifetimeInSeconds"),
        ({"LifetimeInSeconds": 31536001}, "AWS.ParameterOutOfRange", "LifetimeInSeconds"),
        (
            {"AssignmentDurationInSeconds": 10},
            "AWS.ParameterOutOfRange",
            "AssignmentDurationInSeconds",
        ),
        (
            {"AutoApprovalDelayInSeconds": 2592001},
            "AWS.ParameterOutOfRange",
            "AutoApprovalDelayInSeconds",
        ),
        ({"MaxAssignments": 0}, "AWS.ParameterOutOfRange", "MaxAssignments"),
        ({"Title": "x" * 129}, "AWS.ParameterOutOfRange", "Title"),
        ({"Title": "   "}, "AWS.MechanicalTurk.MissingParameter", "Title"),
        ({"Description": "x" * 2001}, "AWS.ParameterOutOfRange", "Description"),
        ({"Keywords": "x" * 1001}, "AWS.ParameterOutOfRange", "Keywords"),
        ({"RequesterAnnotation": "x" * 256}, "AWS.ParameterOutOfRange", "RequesterAnnotation"),
        (
            {"HITLayoutId": "NOSUCHLAYOUT"},
            "AWS.MechanicalTurk.InvalidParameterValue",
            "HITLayoutId",
        ),
        (
            {"AssignmentReviewPolicy": {"PolicyName": "Guess/2020"}},
            "AWS.MechanicalTurk.InvalidParameterValue",
            "PolicyName",
        ),
        (
            {
                "QualificationRequirements": [
                    {"QualificationTypeId": "NOSUCHQUALTYPE", "Comparator": "Exists"}
                ]
            },
            "AWS.MechanicalTurk.QualificationTypeDoesNotExist",
            "NOSUCHQUALTYPE",
        ),
    ],
)
def test_it_refuses_invalid_hits_naming_the_parameter(mturk, overrides, code, named):
    with pytest.raises(ClientError) as excinfo:
        create_hit(mturk, **overrides)
    _, turk_code, message = error_of(excinfo)
    assert turk_code == code
    assert named in message
    assert mturk.list_hits()["NumResults"] == 0


def test_it_refuses_a_bad_reward_from_an_unchecked_client(emulator_server):
    client = make_mturk_client(emulator_server.url, parameter_validation=False)
    with pytest.raises(ClientError) as excinfo:
        create_hit(client, Reward="0.505")
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InvalidParameterValue"
    assert "Reward" in error_of(excinfo)[2]


def test_it_uses_registered_hit_layouts(mturk, emulator):
    emulator.register_layout("LAYOUTCATS01", "<p>Is ${animal} in ${place}?</p>")
    hit = create_hit(
        mturk,
        Question=None,
        HITLayoutId="LAYOUTCATS01",
        HITLayoutParameters=[
            {"Name": "animal", "Value": "a <cat>"},
            {"Name": "place", "Value": "the box"},
        ],
    )
    assert hit["HITLayoutId"] == "LAYOUTCATS01"
    assert "Is a <cat> in the box?" in hit["Question"]


def test_it_needs_every_layout_parameter(mturk, emulator):
    emulator.register_layout("LAYOUTCATS02", "<p>${animal} ${place}</p>")
    with pytest.raises(ClientError) as excinfo:
        create_hit(
            mturk,
            Question=None,
            HITLayoutId="LAYOUTCATS02",
            HITLayoutParameters=[{"Name": "animal", "Value": "cat"}],
        )
    assert "place" in error_of(excinfo)[2]


def test_it_refuses_an_unknown_layout(mturk):
    with pytest.raises(ClientError) as excinfo:
        create_hit(mturk, Question=None, HITLayoutId="NOSUCHLAYOUT")
    _, code, message = error_of(excinfo)
    assert code == "AWS.MechanicalTurk.HITLayoutDoesNotExist"
    assert "NOSUCHLAYOUT" in message


def test_it_refuses_both_question_and_layout(mturk, emulator):
    emulator.register_layout("LAYOUTCATS03", "<p>hi</p>")
    with pytest.raises(ClientError) as excinfo:
        create_hit(mturk, HITLayoutId="LAYOUTCATS03")
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InvalidParameterValue"


def test_it_lists_hits_for_a_qualification_type(mturk):
    qtype = mturk.create_qualification_type(
        Name="Trusted", Description="d", QualificationTypeStatus="Active"
    )["QualificationType"]["QualificationTypeId"]
    wanted = create_hit(
        mturk,
        QualificationRequirements=[
            {"QualificationTypeId": qtype, "Comparator": "GreaterThan", "IntegerValues": [5]}
        ],
    )
    create_hit(mturk)
    listed = mturk.list_hits_for_qualification_type(QualificationTypeId=qtype)
    assert [h["HITId"] for h in listed["HITs"]] == [wanted["HITId"]]
    locale = mturk.list_hits_for_qualification_type(QualificationTypeId="00000000000000000071")
    assert locale["NumResults"] == 0


def test_it_lists_reviewable_hits_by_status_and_type(mturk, emulator, worker_id):
    done = create_hit(mturk)
    other_type = create_hit(mturk, Reward="0.99")
    create_hit(mturk)
    for hit in (done, other_type):
        assignment = emulator.accept(worker_id, hit["HITId"])
        emulator.submit(assignment, {"a": "b"})
    reviewable = mturk.list_reviewable_hits()
    assert {h["HITId"] for h in reviewable["HITs"]} == {done["HITId"], other_type["HITId"]}
    by_type = mturk.list_reviewable_hits(HITTypeId=done["HITTypeId"])
    assert [h["HITId"] for h in by_type["HITs"]] == [done["HITId"]]
    mturk.update_hit_review_status(HITId=done["HITId"])
    reviewing = mturk.list_reviewable_hits(Status="Reviewing")
    assert [h["HITId"] for h in reviewing["HITs"]] == [done["HITId"]]


def test_it_moves_a_hit_between_reviewable_and_reviewing(mturk, submitted):
    hit, _, _ = submitted
    mturk.update_hit_review_status(HITId=hit["HITId"], Revert=False)
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Reviewing"
    mturk.update_hit_review_status(HITId=hit["HITId"], Revert=True)
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Reviewable"


def test_it_refuses_review_status_changes_from_the_wrong_state(mturk, hit):
    with pytest.raises(ClientError) as excinfo:
        mturk.update_hit_review_status(HITId=hit["HITId"])
    _, code, message = error_of(excinfo)
    assert code == "AWS.MechanicalTurk.InvalidHITState"
    assert "Reviewable" in message
    with pytest.raises(ClientError) as excinfo:
        mturk.update_hit_review_status(HITId=hit["HITId"], Revert=True)
    assert "Reviewing" in error_of(excinfo)[2]


def test_it_changes_the_hit_type_of_a_hit(mturk, hit):
    new_type = mturk.create_hit_type(
        Title="Better title", Description="d", Reward="0.75", AssignmentDurationInSeconds=120
    )["HITTypeId"]
    mturk.update_hit_type_of_hit(HITId=hit["HITId"], HITTypeId=new_type)
    fetched = mturk.get_hit(HITId=hit["HITId"])["HIT"]
    assert fetched["HITTypeId"] == new_type
    assert fetched["Title"] == "Better title"
    assert fetched["Reward"] == "0.75"
    with pytest.raises(ClientError) as excinfo:
        mturk.update_hit_type_of_hit(HITId=hit["HITId"], HITTypeId="NOSUCHTYPE")
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.HITTypeDoesNotExist"


def test_it_expires_a_hit_now_when_given_a_past_time(mturk, emulator, hit):
    now = emulator.now()
    mturk.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=now - timedelta(days=1))
    fetched = mturk.get_hit(HITId=hit["HITId"])["HIT"]
    assert fetched["HITStatus"] == "Reviewable"
    assert fetched["Expiration"] <= emulator.now()
    with pytest.raises(EmulatorControlError) as excinfo:
        emulator.accept(new_worker_id(), hit["HITId"])
    assert excinfo.value.payload["error"] == "NothingAvailable"


def test_it_extends_an_expired_hit_making_it_available_again(mturk, emulator, hit):
    emulator.advance(3601)
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Reviewable"
    later = emulator.now() + timedelta(hours=2)
    mturk.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=later)
    fetched = mturk.get_hit(HITId=hit["HITId"])["HIT"]
    assert fetched["HITStatus"] == "Assignable"
    assert abs(fetched["Expiration"] - later) < timedelta(seconds=1)
    assert emulator.accept(new_worker_id(), hit["HITId"])


def test_it_refuses_to_shorten_an_expiration_into_the_future(mturk, emulator, hit):
    with pytest.raises(ClientError) as excinfo:
        mturk.update_expiration_for_hit(
            HITId=hit["HITId"], ExpireAt=emulator.now() + timedelta(minutes=10)
        )
    _, code, message = error_of(excinfo)
    assert code == "AWS.MechanicalTurk.InvalidParameterValue"
    assert "ExpireAt" in message
    mturk.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=0)
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Reviewable"


def test_it_refuses_an_expiration_more_than_a_year_ahead(mturk, emulator, hit):
    with pytest.raises(ClientError) as excinfo:
        mturk.update_expiration_for_hit(
            HITId=hit["HITId"], ExpireAt=emulator.now() + timedelta(days=400)
        )
    assert error_of(excinfo)[1] == "AWS.ParameterOutOfRange"


def test_it_adds_assignments(mturk, emulator, worker_id, hit):
    emulator.submit(emulator.accept(worker_id, hit["HITId"]), {"a": "1"})
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Reviewable"
    mturk.create_additional_assignments_for_hit(HITId=hit["HITId"], NumberOfAdditionalAssignments=2)
    fetched = mturk.get_hit(HITId=hit["HITId"])["HIT"]
    assert fetched["MaxAssignments"] == 3
    assert fetched["NumberOfAssignmentsAvailable"] == 2
    assert fetched["HITStatus"] == "Assignable"


def test_it_refuses_crossing_ten_assignments(mturk):
    hit = create_hit(mturk, MaxAssignments=9)
    with pytest.raises(ClientError) as excinfo:
        mturk.create_additional_assignments_for_hit(
            HITId=hit["HITId"], NumberOfAdditionalAssignments=1
        )
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease"
    big = create_hit(mturk, MaxAssignments=10)
    mturk.create_additional_assignments_for_hit(HITId=big["HITId"], NumberOfAdditionalAssignments=5)
    assert mturk.get_hit(HITId=big["HITId"])["HIT"]["MaxAssignments"] == 15


def test_it_refuses_adding_zero_assignments(emulator_server, hit):
    client = make_mturk_client(emulator_server.url, parameter_validation=False)
    with pytest.raises(ClientError) as excinfo:
        client.create_additional_assignments_for_hit(
            HITId="NOSUCHHIT", NumberOfAdditionalAssignments=0
        )
    assert error_of(excinfo)[1] in {
        "AWS.ParameterOutOfRange",
        "AWS.MechanicalTurk.HITDoesNotExist",
    }


def test_it_deletes_a_reviewed_hit_and_drops_it_from_lists(mturk, submitted):
    hit, assignment_id, _ = submitted
    with pytest.raises(ClientError) as excinfo:
        mturk.delete_hit(HITId=hit["HITId"])
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InvalidHITState"
    mturk.approve_assignment(AssignmentId=assignment_id)
    mturk.delete_hit(HITId=hit["HITId"])
    assert mturk.list_hits()["NumResults"] == 0
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["HITStatus"] == "Disposed"
    mturk.delete_hit(HITId=hit["HITId"])


def test_it_refuses_to_delete_an_assignable_hit(mturk, hit):
    with pytest.raises(ClientError) as excinfo:
        mturk.delete_hit(HITId=hit["HITId"])
    _, code, message = error_of(excinfo)
    assert code == "AWS.MechanicalTurk.InvalidHITState"
    assert "Reviewable" in message
    assert mturk.list_hits()["NumResults"] == 1


def test_it_deletes_an_expired_hit_without_assignments(mturk, emulator, hit):
    mturk.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=emulator.now())
    mturk.delete_hit(HITId=hit["HITId"])
    assert mturk.list_hits()["NumResults"] == 0
