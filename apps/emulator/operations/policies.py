"""The review policies CreateHIT accepts (API Reference, "Review Policies"): their names, their
parameters and the ranges written for each. What the policies do is `engine.review_policies`."""

from __future__ import annotations

from ..engine.review_policies import KNOWN_ANSWERS, PLURALITY
from ..wire import errors

ASSIGNMENT_REVIEW_POLICIES = {KNOWN_ANSWERS}
HIT_REVIEW_POLICIES = {PLURALITY}

ASSIGNMENT_PARAMETERS = {
    "AnswerKey",
    "ApproveIfKnownAnswerScoreIsAtLeast",
    "ApproveReason",
    "RejectIfKnownAnswerScoreIsLessThan",
    "RejectReason",
    "ExtendIfKnownAnswerScoreIsLessThan",
    "ExtendMaximumAssignments",
    "ExtendMinimumTimeInSeconds",
}
HIT_PARAMETERS = {
    "QuestionIds",
    "QuestionAgreementThreshold",
    "DisregardAssignmentIfRejected",
    "DisregardAssignmentIfKnownAnswerScoreIsLessThan",
    "ExtendIfHITAgreementScoreIsLessThan",
    "ExtendMaximumAssignments",
    "ExtendMinimumTimeInSeconds",
    "ApproveIfWorkerAgreementScoreIsAtLeast",
    "RejectIfWorkerAgreementScoreIsLessThan",
    "RejectReason",
}
# Integer parameters and their (min, max) from the reference.
RANGES = {
    "ApproveIfKnownAnswerScoreIsAtLeast": (0, 101),
    "RejectIfKnownAnswerScoreIsLessThan": (0, 101),
    "ExtendIfKnownAnswerScoreIsLessThan": (0, 101),
    "ExtendMaximumAssignments": (2, 25),
    "ExtendMinimumTimeInSeconds": (60, 31536000),
    "ExtendIfHITAgreementScoreIsLessThan": (1, 100),
    "QuestionAgreementThreshold": (0, 100),
    "DisregardAssignmentIfKnownAnswerScoreIsLessThan": (0, 101),
    "ApproveIfWorkerAgreementScoreIsAtLeast": (0, 101),
    "RejectIfWorkerAgreementScoreIsLessThan": (0, 101),
}


def policy_clean(params: dict, key: str, allowed: set[str]) -> dict | None:
    """The policy given as `params[key]` (AssignmentReviewPolicy or HITReviewPolicy), checked;
    None when there is none."""
    policy = params.get(key)
    if policy is None:
        return None
    if policy["PolicyName"] not in allowed:
        raise errors.invalid(
            f"{key}.PolicyName", f"{policy['PolicyName']!r} is not one of {', '.join(allowed)}"
        )
    return _parameters_check(key, policy)


def _parameters_check(key: str, policy: dict) -> dict:
    """Refuse unknown parameters and out-of-range values, and require the needed ones."""
    allowed = ASSIGNMENT_PARAMETERS if policy["PolicyName"] == KNOWN_ANSWERS else HIT_PARAMETERS
    if policy["PolicyName"] == PLURALITY:
        allowed = allowed | {"QuestionIDs"}
    parameters = policy.get("Parameters") or []
    for parameter in parameters:
        name = parameter.get("Key", "")
        if name not in allowed:
            raise errors.invalid(
                f"{key}.Parameters", f"{name!r} is not a parameter of {policy['PolicyName']}"
            )
        # ExtendMaximumAssignments is 2-25 for ScoreMyKnownAnswers, unconstrained for
        # SimplePlurality.
        unconstrained = name == "ExtendMaximumAssignments" and policy["PolicyName"] == PLURALITY
        if name in RANGES and not unconstrained:
            low, high = RANGES[name]
            raw = (parameter.get("Values") or [""])[0]
            try:
                number = int(raw)
            except ValueError:
                raise errors.invalid(f"{key}.{name}", "must be an integer") from None
            if not low <= number <= high:
                raise errors.out_of_range(f"{key}.{name}", f"must be from {low} to {high}")
    names = {p.get("Key") for p in parameters}
    if policy["PolicyName"] == KNOWN_ANSWERS and "AnswerKey" not in names:
        raise errors.missing(f"{key}.AnswerKey", "ScoreMyKnownAnswers needs an AnswerKey.")
    if policy["PolicyName"] == PLURALITY:
        for needed in ("QuestionAgreementThreshold",):
            if needed not in names:
                raise errors.missing(f"{key}.{needed}", f"SimplePlurality needs {needed}.")
        if not names & {"QuestionIds", "QuestionIDs"}:
            raise errors.missing(f"{key}.QuestionIds", "SimplePlurality needs QuestionIds.")
        if "ExtendIfHITAgreementScoreIsLessThan" in names and "ExtendMaximumAssignments" not in (
            names
        ):
            raise errors.missing(
                f"{key}.ExtendMaximumAssignments",
                "required with ExtendIfHITAgreementScoreIsLessThan",
            )
    return policy
