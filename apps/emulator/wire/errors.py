"""Errors the local MTurk answers with, in MTurk's wire shape.

Raise `RequestError` (HTTP 400) from any operation; `protocol` turns it into
`{"__type": "RequestError", "Message": ..., "TurkErrorCode": ...}`. The codes are the ones the
dashboard's gateway maps, so keep them exactly as written here.
"""

from __future__ import annotations

HIT_ALREADY_EXISTS = "AWS.MechanicalTurk.HitAlreadyExists"
DUPLICATE_REQUEST = "AWS.MechanicalTurk.DuplicateRequest"
INVALID_ASSIGNMENT_STATE = "AWS.MechanicalTurk.InvalidAssignmentState"
INVALID_HIT_STATE = "AWS.MechanicalTurk.InvalidHITState"
HIT_DOES_NOT_EXIST = "AWS.MechanicalTurk.HITDoesNotExist"
ASSIGNMENT_DOES_NOT_EXIST = "AWS.MechanicalTurk.AssignmentDoesNotExist"
HIT_TYPE_DOES_NOT_EXIST = "AWS.MechanicalTurk.HITTypeDoesNotExist"
QUALIFICATION_TYPE_DOES_NOT_EXIST = "AWS.MechanicalTurk.QualificationTypeDoesNotExist"
QUALIFICATION_DOES_NOT_EXIST = "AWS.MechanicalTurk.QualificationDoesNotExist"
QUALIFICATION_REQUEST_DOES_NOT_EXIST = "AWS.MechanicalTurk.QualificationRequestDoesNotExist"
QUALIFICATION_TYPE_ALREADY_EXISTS = "AWS.MechanicalTurk.QualificationTypeAlreadyExists"
INSUFFICIENT_FUNDS = "AWS.MechanicalTurk.InsufficientFunds"
INVALID_MAXIMUM_ASSIGNMENTS_INCREASE = "AWS.MechanicalTurk.InvalidMaximumAssignmentsIncrease"
XML_PARSE_ERROR = "AWS.MechanicalTurk.XMLParseError"
XHTML_PARSE_ERROR = "AWS.MechanicalTurk.XHTMLParseError"
INVALID_PARAMETER_VALUE = "AWS.MechanicalTurk.InvalidParameterValue"
PARAMETER_OUT_OF_RANGE = "AWS.ParameterOutOfRange"
MISSING_PARAMETER = "AWS.MechanicalTurk.MissingParameter"
WORKER_DOES_NOT_EXIST = "AWS.MechanicalTurk.WorkerDoesNotExist"
HIT_LAYOUT_DOES_NOT_EXIST = "AWS.MechanicalTurk.HITLayoutDoesNotExist"
INVALID_QUALIFICATION_STATE = "AWS.MechanicalTurk.InvalidQualificationTypeState"
INVALID_QUALIFICATION_REQUEST_STATE = "AWS.MechanicalTurk.InvalidQualificationRequestState"
NO_FILE_UPLOAD_ANSWER = "AWS.MechanicalTurk.FileUploadAnswerDoesNotExist"
INVALID_NOTIFICATION_DESTINATION = "AWS.MechanicalTurk.InvalidNotificationDestination"
UNKNOWN_OPERATION = "AWS.MechanicalTurk.UnknownOperation"
MALFORMED_REQUEST = "AWS.MechanicalTurk.MalformedRequest"
SERVICE_FAULT = "AWS.MechanicalTurk.ServiceFault"


class RequestError(Exception):
    """A client error: HTTP 400, `__type` RequestError."""

    status = 400
    wire_type = "RequestError"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> dict:
        return {"__type": self.wire_type, "Message": self.message, "TurkErrorCode": self.code}


class ServiceFault(RequestError):
    """The service's own fault: HTTP 500, `__type` ServiceFault."""

    status = 500
    wire_type = "ServiceFault"


class AuthError(Exception):
    """Authentication failed; answered with HTTP 400 and an AWS-style `__type`."""

    def __init__(self, wire_type: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.wire_type = wire_type
        self.message = message
        self.status = status

    def body(self) -> dict:
        return {"__type": self.wire_type, "message": self.message, "Message": self.message}


def invalid(parameter: str, reason: str) -> RequestError:
    return RequestError(INVALID_PARAMETER_VALUE, f"Value for {parameter} is invalid: {reason}")


def out_of_range(parameter: str, reason: str) -> RequestError:
    return RequestError(PARAMETER_OUT_OF_RANGE, f"Value for {parameter} is out of range: {reason}")


def missing(parameter: str, reason: str = "") -> RequestError:
    suffix = f" {reason}" if reason else ""
    return RequestError(MISSING_PARAMETER, f"Parameter {parameter} is required.{suffix}")
