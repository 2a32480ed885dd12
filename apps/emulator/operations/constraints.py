"""The constraints written in the API Reference that botocore's model does not carry: amounts,
durations, text lengths, feedback characters, counts. Operations call these on their parameters
after the model's validation (`wire.validation`); the checks of a Question, of qualification
requirements and of review policies are beside them (`questions`, `requirements`, `policies`)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ..wire import errors

MIN_DURATION = 30
# MTurk accepts $0.00 rewards (used for qualification-style HITs); bonuses start at $0.01.
MIN_REWARD = Decimal("0.00")
MIN_BONUS = Decimal("0.01")
MAX_DURATION = 31_536_000
MAX_AUTO_APPROVAL_DELAY = 2_592_000
DEFAULT_AUTO_APPROVAL_DELAY = 2_592_000
MAX_ASSIGNMENTS = 1_000_000_000
MAX_REQUIREMENTS = 10
MAX_FEEDBACK = 1024
MAX_NOTIFY_WORKERS = 100
MAX_SUBJECT = 200
MAX_MESSAGE = 4096
OVERRIDE_REJECTION_SECONDS = 30 * 24 * 3600

TEXT_LIMITS = {
    "Title": 128,
    "Description": 2000,
    "Keywords": 1000,
    "RequesterAnnotation": 255,
}
# ASCII 0-8, 11, 12 and 14-31 are refused in RequesterFeedback (tab, LF and CR are allowed).
_FEEDBACK_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_MONEY = re.compile(r"^[0-9]+(\.)?[0-9]{0,2}$")


def money_amount(value: str, parameter: str, *, minimum: Decimal = Decimal("0.01")) -> Decimal:
    """A dollar amount given as a string ("0.50"): at most two decimals, at least `minimum`."""
    if not _MONEY.match(value):
        raise errors.invalid(parameter, f"{value!r} is not an amount in US dollars like 0.50")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise errors.invalid(parameter, f"{value!r} is not a number") from None
    if amount < minimum:
        raise errors.out_of_range(parameter, f"must be at least {minimum}")
    return amount.quantize(Decimal("0.01"))


def text(value: str | None, parameter: str, *, required: bool = False) -> str:
    value = value or ""
    if required and not value.strip():
        raise errors.missing(parameter, "It must not be empty.")
    limit = TEXT_LIMITS.get(parameter)
    if limit is not None and len(value) > limit:
        raise errors.out_of_range(parameter, f"must be at most {limit} characters")
    return value


def seconds(value: int, parameter: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise errors.out_of_range(parameter, f"must be between {low} and {high} seconds")
    return value


def lifetime(value: int) -> int:
    return seconds(value, "LifetimeInSeconds", MIN_DURATION, MAX_DURATION)


def assignment_duration(value: int) -> int:
    return seconds(value, "AssignmentDurationInSeconds", MIN_DURATION, MAX_DURATION)


def auto_approval_delay(value: int | None) -> int:
    if value is None:
        return DEFAULT_AUTO_APPROVAL_DELAY
    return seconds(value, "AutoApprovalDelayInSeconds", 0, MAX_AUTO_APPROVAL_DELAY)


def max_assignments(value: int | None) -> int:
    if value is None:
        return 1
    if not 1 <= value <= MAX_ASSIGNMENTS:
        raise errors.out_of_range("MaxAssignments", f"must be between 1 and {MAX_ASSIGNMENTS}")
    return value


def requester_feedback(value: str | None, *, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise errors.missing("RequesterFeedback")
        return ""
    if len(value) > MAX_FEEDBACK:
        raise errors.out_of_range("RequesterFeedback", f"must be at most {MAX_FEEDBACK} characters")
    if _FEEDBACK_FORBIDDEN.search(value):
        raise errors.invalid(
            "RequesterFeedback", "must not contain ASCII characters 0-8, 11, 12 or 14-31"
        )
    return value


def layout_parameters(items: list[dict] | None) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in items or []:
        if item["Name"] in result:
            raise errors.invalid("HITLayoutParameters", f"{item['Name']!r} is given twice")
        result[item["Name"]] = item["Value"]
    return result
