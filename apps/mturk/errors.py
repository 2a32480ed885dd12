"""Typed errors for everything that can go wrong talking to MTurk.

Callers decide with two attributes: `retryable` (trying the same call again may succeed) and
`outcome_unknown` (the request may have been performed although no answer came back: retry only
with the same UniqueRequestToken, or read the remote side first).
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
)


class MTurkError(Exception):
    retryable = False
    outcome_unknown = False

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        code: str = "",
        turk_error_code: str = "",
        request_id: str = "",
        retry_attempts: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.code = code
        self.turk_error_code = turk_error_code
        self.request_id = request_id
        # Attempts botocore made before this answer. A refusal that came on a retry ("already
        # approved") may be the work of the earlier attempt whose answer was lost.
        self.retry_attempts = retry_attempts

    def __str__(self) -> str:
        where = f"{self.operation}: " if self.operation else ""
        code = (
            f" [{self.turk_error_code or self.code}]" if (self.turk_error_code or self.code) else ""
        )
        return f"{where}{self.message}{code}"


class MTurkRequestError(MTurkError):
    """MTurk refused the request as made; repeating it unchanged will not help."""


class MTurkValidationError(MTurkRequestError):
    """A parameter is missing or out of range (caught by botocore or by MTurk)."""


class MTurkNotFound(MTurkRequestError):
    """The HIT, assignment, qualification type or worker does not exist (for this account)."""


class MTurkInvalidState(MTurkRequestError):
    """The object is not in a state that allows the operation (say, approving twice)."""


class MTurkDuplicateRequest(MTurkRequestError):
    """The UniqueRequestToken was used before: the first request succeeded. Read the object."""


class MTurkInsufficientFunds(MTurkRequestError):
    """The account's balance does not cover the operation."""


class MTurkAuthError(MTurkRequestError):
    """The credentials are missing, unknown or do not sign correctly."""


class MTurkServiceFault(MTurkError):
    """MTurk failed internally; the request may or may not have been performed."""

    retryable = True
    outcome_unknown = True


class MTurkThrottled(MTurkError):
    """Rate exceeded: nothing was performed; retry after a pause."""

    retryable = True


class MTurkUnavailable(MTurkError):
    """MTurk could not be reached: nothing was sent."""

    retryable = True


class MTurkNoResponse(MTurkError):
    """The request was sent but no answer came back: it may have been performed."""

    retryable = True
    outcome_unknown = True


_BY_TURK_CODE: dict[str, type[MTurkError]] = {
    "AWS.MechanicalTurk.HitAlreadyExists": MTurkDuplicateRequest,
    "AWS.MechanicalTurk.DuplicateRequest": MTurkDuplicateRequest,
    "AWS.MechanicalTurk.InvalidAssignmentState": MTurkInvalidState,
    "AWS.MechanicalTurk.InvalidHITState": MTurkInvalidState,
    "AWS.MechanicalTurk.InvalidQualificationRequestState": MTurkInvalidState,
    "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease": MTurkRequestError,
    "AWS.MechanicalTurk.InsufficientFunds": MTurkInsufficientFunds,
    "AWS.MechanicalTurk.InvalidParameterValue": MTurkValidationError,
    "AWS.MechanicalTurk.MissingParameter": MTurkValidationError,
    "AWS.ParameterOutOfRange": MTurkValidationError,
    "AWS.MechanicalTurk.XMLParseError": MTurkValidationError,
    "AWS.MechanicalTurk.XHTMLParseError": MTurkValidationError,
}

_AUTH_CODES = {
    "MissingAuthenticationTokenException",
    "MissingAuthenticationToken",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "AccessDeniedException",
}
_THROTTLE_CODES = {
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
}


def from_client_error(exc: ClientError, operation: str = "") -> MTurkError:
    """Map botocore's ClientError to the typed error that says what a caller can do next."""
    response = exc.response or {}
    error = response.get("Error", {})
    code = error.get("Code", "")
    message = error.get("Message") or response.get("Message") or str(exc)
    turk_code = response.get("TurkErrorCode") or error.get("TurkErrorCode") or ""
    request_id = response.get("ResponseMetadata", {}).get("RequestId", "")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    kwargs = {
        "operation": operation,
        "code": code,
        "turk_error_code": turk_code,
        "request_id": request_id,
        "retry_attempts": int(response.get("ResponseMetadata", {}).get("RetryAttempts") or 0),
    }

    if code in _THROTTLE_CODES:
        return MTurkThrottled(message, **kwargs)
    if code == "ServiceFault" or status >= 500:
        return MTurkServiceFault(message, **kwargs)
    if code in _AUTH_CODES:
        return MTurkAuthError(message, **kwargs)
    if turk_code in _BY_TURK_CODE:
        return _BY_TURK_CODE[turk_code](message, **kwargs)
    if turk_code.endswith("DoesNotExist") or "does not exist" in message.lower():
        return MTurkNotFound(message, **kwargs)
    if code == "ValidationException":
        return MTurkValidationError(message, **kwargs)
    return MTurkRequestError(message, **kwargs)


def from_botocore_error(exc: BotoCoreError, operation: str = "") -> MTurkError:
    if isinstance(exc, ParamValidationError):
        return MTurkValidationError(str(exc), operation=operation, code="ParamValidationError")
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
        return MTurkUnavailable(str(exc), operation=operation, code=type(exc).__name__)
    if isinstance(exc, ReadTimeoutError | ConnectionClosedError | HTTPClientError):
        return MTurkNoResponse(str(exc), operation=operation, code=type(exc).__name__)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return MTurkAuthError(str(exc), operation=operation, code=type(exc).__name__)
    return MTurkError(str(exc), operation=operation, code=type(exc).__name__)
