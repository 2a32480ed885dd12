"""Helpers for the local MTurk's black-box tests: question XML, HIT factories, worker ids, raw
signed HTTP requests. Nothing here imports `apps.emulator`: the tests speak only HTTP."""

from __future__ import annotations

import json
import secrets
import string
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HTML_QUESTION = (
    '<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
    '2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[<!DOCTYPE html><html><body>'
    '<form><input name="answer"></form></body></html>]]></HTMLContent>'
    "<FrameHeight>0</FrameHeight></HTMLQuestion>"
)
EXTERNAL_QUESTION = (
    '<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
    '2006-07-14/ExternalQuestion.xsd"><ExternalURL>https://example.org/task</ExternalURL>'
    "<FrameHeight>400</FrameHeight></ExternalQuestion>"
)
QUESTION_FORM_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd"
)


def question_form(*identifiers: str, upload: str | None = None) -> str:
    parts = [
        f"<Question><QuestionIdentifier>{identifier}</QuestionIdentifier>"
        "<QuestionContent><Text>Say something</Text></QuestionContent>"
        "<AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question>"
        for identifier in identifiers
    ]
    if upload:
        parts.append(
            f"<Question><QuestionIdentifier>{upload}</QuestionIdentifier>"
            "<QuestionContent><Text>Upload a file</Text></QuestionContent>"
            "<AnswerSpecification><FileUploadAnswer><MaxFileSizeInBytes>100000"
            "</MaxFileSizeInBytes><MinFileSizeInBytes>1</MinFileSizeInBytes>"
            "</FileUploadAnswer></AnswerSpecification></Question>"
        )
    return f'<QuestionForm xmlns="{QUESTION_FORM_NS}">{"".join(parts)}</QuestionForm>'


def selection_test() -> str:
    """A one-question multiple-choice test (answer key: 'b' scores 10)."""
    return (
        f'<QuestionForm xmlns="{QUESTION_FORM_NS}"><Question><QuestionIdentifier>q1'
        "</QuestionIdentifier><QuestionContent><Text>Pick b</Text></QuestionContent>"
        "<AnswerSpecification><SelectionAnswer><Selections>"
        "<Selection><SelectionIdentifier>a</SelectionIdentifier><Text>A</Text></Selection>"
        "<Selection><SelectionIdentifier>b</SelectionIdentifier><Text>B</Text></Selection>"
        "</Selections></SelectionAnswer></AnswerSpecification></Question></QuestionForm>"
    )


ANSWER_KEY = (
    '<AnswerKey xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
    '2005-10-01/AnswerKey.xsd"><Question><QuestionIdentifier>q1</QuestionIdentifier>'
    "<AnswerOption><SelectionIdentifier>b</SelectionIdentifier><AnswerScore>10</AnswerScore>"
    "</AnswerOption></Question></AnswerKey>"
)


def answer_xml_selecting(identifier: str, selection: str) -> str:
    return (
        '<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/'
        'AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer>'
        f"<QuestionIdentifier>{identifier}</QuestionIdentifier>"
        f"<SelectionIdentifier>{selection}</SelectionIdentifier></Answer></QuestionFormAnswers>"
    )


def new_worker_id() -> str:
    return "A" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(13))


HIT_DEFAULTS = {
    "Title": "Label a picture",
    "Description": "Say what the picture shows.",
    "Keywords": "image, label",
    "Reward": "0.50",
    "AssignmentDurationInSeconds": 600,
    "LifetimeInSeconds": 3600,
    "AutoApprovalDelayInSeconds": 86400,
    "MaxAssignments": 1,
    "Question": HTML_QUESTION,
}


def create_hit(client, **overrides) -> dict:
    params = {**HIT_DEFAULTS, **overrides}
    params = {key: value for key, value in params.items() if value is not None}
    return client.create_hit(**params)["HIT"]


def error_of(excinfo) -> tuple[str, str, str]:
    """(Error.Code, TurkErrorCode, Message) of a botocore ClientError."""
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response.get("TurkErrorCode", ""),
        response["Error"].get("Message", ""),
    )


@dataclass
class RawResponse:
    status: int
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


def raw_call(
    url: str,
    target: str | None,
    body: bytes | str,
    *,
    access_key_id: str | None = "AKIARAWCALLTEST00001",
    secret: str = "secret",
    sign: bool = True,
    method: str = "POST",
) -> RawResponse:
    """Send one request by hand (optionally SigV4-signed with botocore's signer)."""
    data = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if target is not None:
        headers["X-Amz-Target"] = target
    if sign:
        request = AWSRequest(method=method, url=url + "/", data=data, headers=headers)
        SigV4Auth(Credentials(access_key_id, secret), "mturk-requester", "us-east-1").add_auth(
            request
        )
        headers = dict(request.headers.items())
    req = urllib.request.Request(
        url + "/", data=data if method == "POST" else None, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return RawResponse(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as exc:
        return RawResponse(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


@pytest.fixture
def worker_id() -> str:
    return new_worker_id()


@pytest.fixture
def hit(mturk) -> dict:
    return create_hit(mturk)


@pytest.fixture
def submitted(mturk, emulator, worker_id):
    """(hit, assignment_id, worker_id): one HIT whose only assignment was submitted."""
    hit = create_hit(mturk)
    assignment_id = emulator.accept(worker_id, hit["HITId"])
    emulator.submit(assignment_id, {"answer": "a cat"})
    return hit, assignment_id, worker_id
