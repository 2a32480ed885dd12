"""The wire protocol: targets, JSON, request ids, errors in MTurk's shape, never HTML."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.emulator import make_mturk_client

from .conftest import error_of, raw_call

TARGET = "MTurkRequesterServiceV20170117."


def test_it_answers_json_with_a_request_id(emulator_server):
    response = raw_call(emulator_server.url, TARGET + "GetAccountBalance", "{}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-requestid"]
    assert response.json() == {"AvailableBalance": "10000.00", "OnHoldBalance": "0.00"}


def test_it_refuses_a_missing_target_with_a_json_error(emulator_server):
    response = raw_call(emulator_server.url, None, "{}")
    assert response.status == 400
    assert response.headers["x-amzn-requestid"]
    body = response.json()
    assert body["__type"] == "RequestError"
    assert "X-Amz-Target" in body["Message"]


def test_it_refuses_an_unknown_operation(emulator_server):
    response = raw_call(emulator_server.url, TARGET + "LaunchRockets", "{}")
    assert response.status == 400
    assert response.json()["TurkErrorCode"] == "AWS.MechanicalTurk.UnknownOperation"
    assert "LaunchRockets" in response.json()["Message"]


def test_it_refuses_another_services_target(emulator_server):
    response = raw_call(emulator_server.url, "AmazonSQS.ListQueues", "{}")
    assert response.status == 400
    assert response.json()["TurkErrorCode"] == "AWS.MechanicalTurk.UnknownOperation"


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", b"\xff\xfe"])
def test_it_refuses_a_malformed_body(emulator_server, body):
    response = raw_call(emulator_server.url, TARGET + "ListHITs", body)
    assert response.status == 400
    assert response.json()["TurkErrorCode"] == "AWS.MechanicalTurk.MalformedRequest"


def test_it_requires_a_signature(emulator_server):
    response = raw_call(emulator_server.url, TARGET + "ListHITs", "{}", sign=False)
    assert response.status == 400
    assert response.json()["__type"] == "MissingAuthenticationTokenException"
    assert response.headers["x-amzn-requestid"]


def test_it_answers_a_get_with_a_json_error_not_html(emulator_server):
    response = raw_call(emulator_server.url, TARGET + "ListHITs", "", method="GET", sign=False)
    assert response.status == 400
    assert response.headers["content-type"].startswith("application/x-amz-json-1.1")
    json.loads(response.body)


def test_it_answers_an_unknown_path_with_json(emulator_server):
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(emulator_server.url + "/nowhere", timeout=10)
    assert excinfo.value.code == 404
    assert json.loads(excinfo.value.read())["error"] == "NotFound"


@pytest.fixture
def unchecked(emulator_server):
    """A client that lets anything through, to prove the server validates by itself."""
    return make_mturk_client(
        emulator_server.url, parameter_validation=False, retries={"total_max_attempts": 1}
    )


@pytest.mark.parametrize(
    ("operation", "params", "code", "named"),
    [
        ("get_hit", {}, "AWS.MechanicalTurk.MissingParameter", "HITId"),
        ("get_hit", {"HITId": "lower-case"}, "AWS.MechanicalTurk.InvalidParameterValue", "HITId"),
        ("get_hit", {"HITId": "A" * 65}, "AWS.ParameterOutOfRange", "HITId"),
        ("list_hits", {"MaxResults": 101}, "AWS.ParameterOutOfRange", "MaxResults"),
        ("list_hits", {"MaxResults": 0}, "AWS.ParameterOutOfRange", "MaxResults"),
        ("list_hits", {"MaxResults": "ten"}, "AWS.MechanicalTurk.InvalidParameterValue", "Max"),
        ("list_hits", {"NextToken": ""}, "AWS.ParameterOutOfRange", "NextToken"),
        (
            "list_reviewable_hits",
            {"Status": "Done"},
            "AWS.MechanicalTurk.InvalidParameterValue",
            "Status",
        ),
        (
            "create_worker_block",
            {"WorkerId": "BXYZ", "Reason": "spam"},
            "AWS.MechanicalTurk.InvalidParameterValue",
            "WorkerId",
        ),
        (
            "list_qualification_types",
            {"MustBeRequestable": "yes"},
            "AWS.MechanicalTurk.InvalidParameterValue",
            "MustBeRequestable",
        ),
        (
            "create_hit_type",
            {
                "Title": "t",
                "Description": "d",
                "Reward": "1.234",
                "AssignmentDurationInSeconds": 60,
            },
            "AWS.MechanicalTurk.InvalidParameterValue",
            "Reward",
        ),
        (
            "create_hit_type",
            {
                "Title": "t",
                "Description": "d",
                "Reward": "1.00",
                "AssignmentDurationInSeconds": 60,
                "QualificationRequirements": [
                    {"QualificationTypeId": "00000000000000000071", "Comparator": "Like"}
                ],
            },
            "AWS.MechanicalTurk.InvalidParameterValue",
            "Comparator",
        ),
        (
            "create_hit_type",
            {"Description": "d", "Reward": "1.00", "AssignmentDurationInSeconds": 60},
            "AWS.MechanicalTurk.MissingParameter",
            "Title",
        ),
    ],
)
def test_it_validates_against_the_service_model(unchecked, operation, params, code, named):
    with pytest.raises(ClientError) as excinfo:
        getattr(unchecked, operation)(**params)
    kind, turk_code, message = error_of(excinfo)
    assert kind == "RequestError"
    assert turk_code == code
    assert named in message
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_it_refuses_a_parameter_the_operation_does_not_have(emulator_server):
    response = raw_call(emulator_server.url, TARGET + "GetHIT", '{"HITId": "ABC", "Extra": 1}')
    assert response.status == 400
    assert response.json()["TurkErrorCode"] == "AWS.MechanicalTurk.InvalidParameterValue"
    assert "Extra" in response.json()["Message"]


def test_it_refuses_an_oversized_body_with_a_json_error(emulator_server):
    body = '{"Question": "' + "x" * (11 * 1024 * 1024) + '"}'
    response = raw_call(emulator_server.url, TARGET + "CreateHIT", body)
    assert response.status == 400
    assert response.json()["TurkErrorCode"] == "AWS.MechanicalTurk.MalformedRequest"
