"""Error mapping and retry classification. botocore's Stubber stands in for replies that a
well-behaved MTurk process does not give on demand (auth and fault shapes); the same mapping is
exercised against the local MTurk in test_gateway.py."""

from __future__ import annotations

import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError
from botocore.stub import Stubber

from apps.mturk import errors
from apps.mturk.gateway import AccountConfig, Gateway


class NoLimit:
    def acquire(self, key, rate):
        return 0.0


@pytest.fixture
def gateway():
    gw = Gateway(
        AccountConfig(
            key="stub",
            endpoint_url="http://127.0.0.1:9",
            access_key_id="AKIA",
            secret_access_key="s",
        ),
        limiter=NoLimit(),
    )
    return gw


def _stub_error(gateway, operation, code, message, status=400, turk_code=None):
    stubber = Stubber(gateway.client)
    modeled = {"TurkErrorCode": turk_code} if turk_code else None
    stubber.add_client_error(
        operation,
        service_error_code=code,
        service_message=message,
        http_status_code=status,
        modeled_fields=modeled,
    )
    stubber.activate()
    return stubber


@pytest.mark.parametrize(
    ("code", "turk_code", "status", "expected", "retryable", "unknown"),
    [
        (
            "RequestError",
            "AWS.MechanicalTurk.InvalidAssignmentState",
            400,
            errors.MTurkInvalidState,
            False,
            False,
        ),
        (
            "RequestError",
            "AWS.MechanicalTurk.HitAlreadyExists",
            400,
            errors.MTurkDuplicateRequest,
            False,
            False,
        ),
        (
            "RequestError",
            "AWS.MechanicalTurk.DuplicateRequest",
            400,
            errors.MTurkDuplicateRequest,
            False,
            False,
        ),
        (
            "RequestError",
            "AWS.MechanicalTurk.InsufficientFunds",
            400,
            errors.MTurkInsufficientFunds,
            False,
            False,
        ),
        (
            "RequestError",
            "AWS.MechanicalTurk.HITDoesNotExist",
            400,
            errors.MTurkNotFound,
            False,
            False,
        ),
        ("RequestError", "AWS.ParameterOutOfRange", 400, errors.MTurkValidationError, False, False),
        (
            "RequestError",
            "AWS.MechanicalTurk.SomethingNew",
            400,
            errors.MTurkRequestError,
            False,
            False,
        ),
        (
            "ServiceFault",
            "AWS.MechanicalTurk.ServiceFault",
            500,
            errors.MTurkServiceFault,
            True,
            True,
        ),
        ("ThrottlingException", None, 400, errors.MTurkThrottled, True, False),
        ("UnrecognizedClientException", None, 400, errors.MTurkAuthError, False, False),
    ],
)
def test_client_errors_map_to_typed_errors(
    gateway, code, turk_code, status, expected, retryable, unknown
):
    with _stub_error(gateway, "get_assignment", code, "it went wrong", status, turk_code):
        with pytest.raises(expected) as caught:
            gateway.call("get_assignment", AssignmentId="A" * 30)
    error = caught.value
    assert type(error) is expected
    assert error.retryable is retryable
    assert error.outcome_unknown is unknown
    assert error.operation == "get_assignment"
    assert error.turk_error_code == (turk_code or "")
    assert "it went wrong" in str(error)


def test_the_real_wire_shape_of_a_state_error_keeps_its_turk_code(gateway):
    message = "This operation can be called with a status of: Submitted (1624047673908)"
    with (
        _stub_error(
            gateway,
            "approve_assignment",
            "RequestError",
            message,
            400,
            "AWS.MechanicalTurk.InvalidAssignmentState",
        ),
        pytest.raises(errors.MTurkInvalidState, match="status of: Submitted"),
    ):
        gateway.call("approve_assignment", AssignmentId="A" * 30)


def test_a_parameter_botocore_refuses_is_a_validation_error(gateway):
    with pytest.raises(errors.MTurkValidationError):
        gateway.call("approve_assignment")


@pytest.mark.parametrize(
    ("exc", "expected", "unknown"),
    [
        (EndpointConnectionError(endpoint_url="http://x"), errors.MTurkUnavailable, False),
        (ConnectTimeoutError(endpoint_url="http://x"), errors.MTurkUnavailable, False),
        (ReadTimeoutError(endpoint_url="http://x"), errors.MTurkNoResponse, True),
    ],
)
def test_transport_failures_say_whether_the_request_may_have_happened(exc, expected, unknown):
    error = errors.from_botocore_error(exc, "send_bonus")
    assert isinstance(error, expected)
    assert error.retryable
    assert error.outcome_unknown is unknown


def test_an_unreachable_endpoint_is_unavailable_after_retries(settings):
    settings.MTURK_MAX_ATTEMPTS = 2
    settings.MTURK_CONNECT_TIMEOUT = 0.5
    gateway = Gateway(
        AccountConfig(
            key="down",
            endpoint_url="http://127.0.0.1:9",
            access_key_id="AKIA",
            secret_access_key="s",
        ),
        limiter=NoLimit(),
    )
    with pytest.raises(errors.MTurkUnavailable):
        gateway.call("get_account_balance")
