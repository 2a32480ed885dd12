"""Qualification requests and tests (answer keys and their value mappings, test durations, retry
delays), the worker site's forms over plain HTTP, and GetFileUploadURL."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from botocore.exceptions import ClientError

from .conftest import (
    EXTERNAL_QUESTION,
    QUESTION_FORM_NS,
    answer_xml_selecting,
    create_hit,
    error_of,
    new_worker_id,
    question_form,
)

KEY_NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/AnswerKey.xsd"


def qualification_test_form(*questions: str) -> str:
    parts = [
        f"<Question><QuestionIdentifier>{q}</QuestionIdentifier><QuestionContent><Text>{q}?"
        "</Text></QuestionContent><AnswerSpecification><SelectionAnswer><Selections>"
        + "".join(
            f"<Selection><SelectionIdentifier>{o}</SelectionIdentifier><Text>{o}</Text></Selection>"
            for o in ("a", "b", "c")
        )
        + "</Selections></SelectionAnswer></AnswerSpecification></Question>"
        for q in questions
    ]
    return f'<QuestionForm xmlns="{QUESTION_FORM_NS}">{"".join(parts)}</QuestionForm>'


def answer_key(mapping: str = "", default: int | None = None) -> str:
    """q1: a=1, b=3; q2: c=5 (others DefaultScore)."""
    default_xml = f"<DefaultScore>{default}</DefaultScore>" if default is not None else ""
    return (
        f'<AnswerKey xmlns="{KEY_NS}"><Question><QuestionIdentifier>q1</QuestionIdentifier>'
        "<AnswerOption><SelectionIdentifier>a</SelectionIdentifier><AnswerScore>1</AnswerScore>"
        "</AnswerOption><AnswerOption><SelectionIdentifier>b</SelectionIdentifier>"
        f"<AnswerScore>3</AnswerScore></AnswerOption>{default_xml}</Question>"
        "<Question><QuestionIdentifier>q2</QuestionIdentifier><AnswerOption>"
        "<SelectionIdentifier>c</SelectionIdentifier><AnswerScore>5</AnswerScore></AnswerOption>"
        f"{default_xml}</Question>{mapping}</AnswerKey>"
    )


def type_with_test(mturk, key: str | None, **extra) -> str:
    params = {
        "Name": f"test-{new_worker_id()}",
        "Description": "a test",
        "QualificationTypeStatus": "Active",
        "Test": qualification_test_form("q1", "q2"),
        "TestDurationInSeconds": 120,
        **extra,
    }
    if key:
        params["AnswerKey"] = key
    return mturk.create_qualification_type(**params)["QualificationType"]["QualificationTypeId"]


PERCENTAGE = (
    "<QualificationValueMapping><PercentageMapping><MaximumSummedScore>8</MaximumSummedScore>"
    "</PercentageMapping></QualificationValueMapping>"
)
SCALE = (
    "<QualificationValueMapping><ScaleMapping><SummedScoreMultiplier>10</SummedScoreMultiplier>"
    "</ScaleMapping></QualificationValueMapping>"
)
RANGE = (
    "<QualificationValueMapping><RangeMapping><SummedScoreRange><InclusiveLowerBound>0"
    "</InclusiveLowerBound><InclusiveUpperBound>4</InclusiveUpperBound><QualificationValue>1"
    "</QualificationValue></SummedScoreRange><SummedScoreRange><InclusiveLowerBound>5"
    "</InclusiveLowerBound><InclusiveUpperBound>8</InclusiveUpperBound><QualificationValue>2"
    "</QualificationValue></SummedScoreRange><OutOfRangeQualificationValue>0"
    "</OutOfRangeQualificationValue></RangeMapping></QualificationValueMapping>"
)


@pytest.mark.parametrize(
    ("mapping", "answers", "value"),
    [
        ("", {"q1": "b", "q2": "c"}, 8),
        (PERCENTAGE, {"q1": "b", "q2": "c"}, 100),
        (PERCENTAGE, {"q1": "a", "q2": "a"}, 12),  # 1 of 8, rounded
        (SCALE, {"q1": "a", "q2": "c"}, 60),
        (RANGE, {"q1": "a", "q2": "a"}, 1),
        (RANGE, {"q1": "b", "q2": "c"}, 2),
    ],
)
def test_answer_keys_score_and_map_the_value(mturk, emulator, mapping, answers, value):
    qtype = type_with_test(mturk, answer_key(mapping))
    worker = new_worker_id()
    granted = emulator.request_qualification(worker, qtype, answers)
    assert granted["Status"] == "Accepted" and granted["IntegerValue"] == value
    score = mturk.get_qualification_score(QualificationTypeId=qtype, WorkerId=worker)
    assert score["Qualification"]["IntegerValue"] == value


def test_default_score_counts_for_unlisted_answers(mturk, emulator):
    qtype = type_with_test(mturk, answer_key(default=2))
    granted = emulator.request_qualification(new_worker_id(), qtype, {"q1": "c", "q2": "a"})
    assert granted["IntegerValue"] == 4


def test_without_an_answer_key_the_test_waits_for_the_requester(mturk, emulator):
    qtype = type_with_test(mturk, None)
    worker = new_worker_id()
    emulator.request_qualification(worker, qtype, answer_xml_selecting("q1", "b"))
    pending = mturk.list_qualification_requests(QualificationTypeId=qtype)["QualificationRequests"]
    assert len(pending) == 1
    assert "<SelectionIdentifier>b</SelectionIdentifier>" in pending[0]["Answer"]
    assert "QuestionForm" in pending[0]["Test"]
    mturk.accept_qualification_request(
        QualificationRequestId=pending[0]["QualificationRequestId"], IntegerValue=7
    )
    score = mturk.get_qualification_score(QualificationTypeId=qtype, WorkerId=worker)
    assert score["Qualification"]["IntegerValue"] == 7


def test_updating_the_test_needs_its_duration(mturk):
    """UpdateQualificationType: "If you are updating the test for a type, you must specify the
    Test and TestDurationInSeconds parameters." """
    qtype = type_with_test(mturk, answer_key(), TestDurationInSeconds=60)
    with pytest.raises(ClientError) as excinfo:
        mturk.update_qualification_type(
            QualificationTypeId=qtype, Test=qualification_test_form("q1", "q2", "q3")
        )
    assert "TestDurationInSeconds" in error_of(excinfo)[2]
    kept = mturk.get_qualification_type(QualificationTypeId=qtype)["QualificationType"]
    assert kept["TestDurationInSeconds"] == 60
    assert "<QuestionIdentifier>q3</QuestionIdentifier>" not in kept["Test"]


def test_a_new_test_without_an_answer_key_has_none(mturk, emulator):
    """UpdateQualificationType: "If you provide an updated Test but no AnswerKey, the new test
    will not have an answer key. Requests for such Qualifications must be granted manually." """
    qtype = type_with_test(mturk, answer_key(), TestDurationInSeconds=60)
    mturk.update_qualification_type(
        QualificationTypeId=qtype,
        Test=qualification_test_form("q1", "q2"),
        TestDurationInSeconds=90,
    )
    updated = mturk.get_qualification_type(QualificationTypeId=qtype)["QualificationType"]
    assert "AnswerKey" not in updated
    assert updated["TestDurationInSeconds"] == 90
    emulator.request_qualification(new_worker_id(), qtype, answer_xml_selecting("q1", "a"))
    pending = mturk.list_qualification_requests(QualificationTypeId=qtype)["QualificationRequests"]
    assert len(pending) == 1  # waits for the requester: nothing grades it


def test_the_duration_alone_cannot_change_without_the_test(mturk):
    """ "If you want to update the test duration or answer key for an existing test without
    changing the questions, you must specify a Test parameter with the original questions." """
    qtype = type_with_test(mturk, answer_key(), TestDurationInSeconds=60)
    with pytest.raises(ClientError):
        mturk.update_qualification_type(QualificationTypeId=qtype, TestDurationInSeconds=600)
    kept = mturk.get_qualification_type(QualificationTypeId=qtype)["QualificationType"]
    assert kept["TestDurationInSeconds"] == 60
    assert "AnswerKey" in kept


def test_auto_granted_types_use_their_value(mturk, emulator):
    qtype = mturk.create_qualification_type(
        Name=f"auto-{new_worker_id()}",
        Description="x",
        QualificationTypeStatus="Active",
        AutoGranted=True,
        AutoGrantedValue=42,
    )["QualificationType"]["QualificationTypeId"]
    granted = emulator.request_qualification(new_worker_id(), qtype)
    assert granted["IntegerValue"] == 42


# ---------------------------------------------------------------------------------------------
# Over the worker site's forms (plain HTTP)


@pytest.fixture
def site(emulator_server):
    """A requests session signed in to the worker site as a new worker."""
    session = requests.Session()
    worker_id = new_worker_id()
    session.post(f"{emulator_server.url}/worker/identity", data={"worker_id": worker_id})
    session.url = emulator_server.url
    session.worker_id = worker_id
    return session


def token_from(page_html: str) -> str:
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', page_html).group(1))
    return html.unescape(re.search(r'name="testToken" value="([^"]*)"', srcdoc).group(1))


def test_the_test_duration_is_enforced(site, mturk, emulator):
    qtype = type_with_test(mturk, answer_key(), TestDurationInSeconds=60)
    page = site.get(f"{site.url}/worker/qualifications/{qtype}/test")
    token = token_from(page.text)
    emulator.advance(61)
    late = site.post(
        f"{site.url}/worker/qualifications/test", data={"testToken": token, "q1": "b", "q2": "c"}
    )
    assert late.status_code == 400 and "Time is up" in late.text
    assert mturk.list_workers_with_qualification_type(QualificationTypeId=qtype)["NumResults"] == 0


def test_a_test_taken_on_the_site_is_graded_and_retries_wait(site, mturk):
    qtype = type_with_test(mturk, answer_key(), RetryDelayInSeconds=3600)
    token = token_from(site.get(f"{site.url}/worker/qualifications/{qtype}/test").text)
    done = site.post(
        f"{site.url}/worker/qualifications/test", data={"testToken": token, "q1": "a", "q2": "c"}
    )
    assert done.status_code == 200 and "value 6" in done.text
    again = site.get(f"{site.url}/worker/qualifications/{qtype}/test", allow_redirects=False)
    assert again.status_code == 302 and "ask+again" in again.headers["Location"]


def test_external_questions_get_the_mturk_parameters(site, mturk):
    hit = create_hit(mturk, Question=EXTERNAL_QUESTION, Title="External work")
    accepted = site.post(f"{site.url}/worker/hits/{hit['HITId']}/accept")
    src = html.unescape(re.search(r'<iframe[^>]*src="([^"]*)"', accepted.text).group(1))
    query = parse_qs(urlsplit(src).query)
    assignment_id = query["assignmentId"][0]
    assert src.startswith("https://example.org/task?")
    assert query["hitId"] == [hit["HITId"]] and query["workerId"] == [site.worker_id]
    assert query["turkSubmitTo"] == [site.url]
    preview = site.get(f"{site.url}/worker/hits/{hit['HITId']}")
    assert "assignmentId=ASSIGNMENT_ID_NOT_AVAILABLE" in preview.text
    submitted = requests.post(
        f"{site.url}/mturk/externalSubmit",
        data=[("assignmentId", assignment_id), ("label", "x"), ("label", "y"), ("why", "ok")],
    )
    assert submitted.status_code == 200
    answer = mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]["Answer"]
    assert answer.count("<QuestionIdentifier>label</QuestionIdentifier>") == 2
    assert "<FreeText>y</FreeText>" in answer and "assignmentId" not in answer


def test_uploaded_files_are_served_for_sixty_seconds(site, mturk, emulator):
    hit = create_hit(mturk, Question=question_form("note", upload="photo"))
    assignment_id = emulator.accept(site.worker_id, hit["HITId"])
    too_big = requests.post(
        f"{site.url}/mturk/externalSubmit",
        data={"assignmentId": assignment_id, "note": "hi"},
        files={"photo": ("big.bin", b"x" * 100_001)},
    )
    assert too_big.status_code == 400 and "at most 100000 bytes" in too_big.text
    done = requests.post(
        f"{site.url}/mturk/externalSubmit",
        data={"assignmentId": assignment_id, "note": "hi"},
        files={"photo": ("cat.png", b"\x89PNG fake image", "image/png")},
    )
    assert done.status_code == 200
    answer = mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]["Answer"]
    assert "<UploadedFileSizeInBytes>15</UploadedFileSizeInBytes>" in answer
    assert "<UploadedFileKey>" in answer
    url = mturk.get_file_upload_url(AssignmentId=assignment_id, QuestionIdentifier="photo")[
        "FileUploadURL"
    ]
    assert requests.get(url).content == b"\x89PNG fake image"
    emulator.advance(61)
    assert requests.get(url).status_code == 403


OTHER_FORM = (
    f'<QuestionForm xmlns="{QUESTION_FORM_NS}"><Question><QuestionIdentifier>kind'
    "</QuestionIdentifier><QuestionContent><Text>Kind?</Text></QuestionContent>"
    "<AnswerSpecification><SelectionAnswer><MinSelectionCount>1</MinSelectionCount>"
    "<MaxSelectionCount>2</MaxSelectionCount><StyleSuggestion>checkbox</StyleSuggestion>"
    "<Selections><Selection><SelectionIdentifier>cat</SelectionIdentifier><Text>Cat</Text>"
    "</Selection><Selection><SelectionIdentifier>dog</SelectionIdentifier><Text>Dog</Text>"
    "</Selection><OtherSelection><FreeTextAnswer/></OtherSelection></Selections>"
    "</SelectionAnswer></AnswerSpecification></Question></QuestionForm>"
)


def test_selections_keep_counts_and_other_answers(site, mturk, emulator):
    hit = create_hit(mturk, Question=OTHER_FORM)
    assignment_id = emulator.accept(site.worker_id, hit["HITId"])
    url = f"{site.url}/mturk/externalSubmit"
    too_many = requests.post(
        url,
        data=[
            ("assignmentId", assignment_id),
            ("kind", "cat"),
            ("kind", "dog"),
            ("kind", "__other__"),
            ("kind.other", "hamster"),
        ],
    )
    assert too_many.status_code == 400 and "at most 2" in too_many.text
    done = requests.post(
        url,
        data=[
            ("assignmentId", assignment_id),
            ("kind", "cat"),
            ("kind", "__other__"),
            ("kind.other", "hamster"),
        ],
    )
    assert done.status_code == 200
    answer = mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]["Answer"]
    assert "<SelectionIdentifier>cat</SelectionIdentifier>" in answer
    assert "<OtherSelectionText>hamster</OtherSelectionText>" in answer
    assert "__other__" not in answer
