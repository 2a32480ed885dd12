"""Review policies: ScoreMyKnownAnswers/2011-09-01 (assignment level) and
SimplePlurality/2011-09-01 (HIT level), as the API Reference's "Review Policies" describes them.

When they run:

- `assignment_policy_run` right after an assignment is submitted, in the submission's
  transaction (`workers.actions.assignment_submit`), so its approval or rejection is part of it.
- `hit_policy_schedule` when a HIT becomes Reviewable (hooked into `lifecycle.hit_refresh` with
  `lifecycle.on_hit_reviewable` by `apps.py`); the policy runs when that transaction commits, so
  it sees the assignment-level decisions of the same submission.
  After it extends a HIT, the HIT becomes Reviewable again later and the policy runs again over
  all assignments; approvals and rejections only touch assignments still Submitted.

Scores (whole percentages, rounded down, as the reference's example: 2 of 3 is 66):

- KnownAnswerScore: known answers the worker matched / known answers. An answer matches when
  its set of values (whitespace stripped) equals the key's set; an empty side never matches.
- Question agreement: the share of considered assignments giving the plurality answer (a tie
  for first place has no plurality); the question has an agreed answer when the score is at least
  QuestionAgreementThreshold. (The reference says "greater than", but its own use case sets the
  threshold to 100 and expects agreement, so "at least" is what it means.) Answers longer than 256
  characters take no part.
- HIT agreement: questions with an agreed answer / questions evaluated.
- Worker agreement: of the questions with an agreed answer, those the worker agreed with.

Extensions add one assignment (never to 10 or more for a HIT made with fewer than 10, never past
ExtendMaximumAssignments) and keep the HIT open at least ExtendMinimumTimeInSeconds. A HIT
policy with ExtendMaximumAssignments but no ExtendIfHITAgreementScoreIsLessThan (the reference's
categorisation use case) extends while the HIT agreement is below 100.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from ..models import HIT, Assignment, ReviewAction, ReviewResult
from ..wire import errors
from ..wire.ids import new_id
from .answers import answer_sets
from .lifecycle import (
    assignment_approve,
    assignment_transition,
    due_at,
    event_emit,
    hit_lock,
    hit_refresh,
)

logger = logging.getLogger(__name__)

KNOWN_ANSWERS = "ScoreMyKnownAnswers/2011-09-01"
PLURALITY = "SimplePlurality/2011-09-01"
MAX_COMPARED_ANSWER = 256

# ---------------------------------------------------------------------------------------------
# Parameters


@dataclass
class Parameters:
    values: dict[str, list[str]]
    answer_key: dict[str, set[str]]

    def integer(self, key: str, default: int | None = None) -> int | None:
        found = self.values.get(key)
        return int(found[0]) if found else default

    def text(self, key: str, default: str = "") -> str:
        found = self.values.get(key)
        return found[0] if found else default

    def flag(self, key: str, default: bool = False) -> bool:
        found = self.values.get(key)
        if not found:
            return default
        return found[0].strip().lower() in {"t", "true", "1", "yes"}

    def question_ids(self) -> list[str]:
        ids: list[str] = []
        for value in self.values.get("QuestionIds", []) + self.values.get("QuestionIDs", []):
            ids.extend(part.strip() for part in value.split(",") if part.strip())
        return ids


def parameters_of(policy: dict) -> Parameters:
    values: dict[str, list[str]] = {}
    answer_key: dict[str, set[str]] = {}
    for parameter in policy.get("Parameters") or []:
        key = parameter.get("Key", "")
        if key == "AnswerKey":
            for entry in parameter.get("MapEntries") or []:
                answer_key[entry["Key"]] = {v.strip() for v in entry.get("Values") or []}
        else:
            values[key] = [str(v) for v in parameter.get("Values") or []]
    return Parameters(values, answer_key)


# ---------------------------------------------------------------------------------------------
# Answers and scores


def known_answer_score(answer_key: dict[str, set[str]], answer_xml: str) -> tuple[int, dict]:
    """(score 0-100, question id -> matched) of one assignment against the key."""
    given = answer_sets(answer_xml)
    matched = {
        question: bool(expected) and bool(given.get(question)) and given[question] == expected
        for question, expected in answer_key.items()
    }
    if not matched:
        return 0, matched
    return sum(matched.values()) * 100 // len(matched), matched


# ---------------------------------------------------------------------------------------------
# Actions


def _result(hit: HIT, level: str, subject: str, kind: str, key: str, value, question: str = ""):
    ReviewResult.objects.create(
        hit=hit,
        level=level,
        subject_id=subject,
        subject_type=kind,
        question_id=question,
        key=key,
        value=str(value),
    )


def _action(
    hit: HIT, level: str, name: str, target: str, kind: str, now: datetime, work
) -> ReviewAction:
    """Run `work()` (which returns a result text) in a savepoint and record how it went."""
    action = ReviewAction(
        hit=hit,
        level=level,
        action_id=new_id(),
        action_name=name,
        target_id=target,
        target_type=kind,
        status="Intended",
    )
    try:
        with transaction.atomic():
            action.result = work()
        action.status = "Succeeded"
    except errors.RequestError as exc:
        action.status = "Failed"
        action.error_code = exc.code
        action.result = exc.message
    action.complete_time = now
    action.save()
    return action


def _approve(assignment: Assignment, now: datetime, feedback: str) -> str:
    assignment.refresh_from_db()
    if assignment.status != Assignment.Status.SUBMITTED:
        raise errors.RequestError(
            errors.INVALID_ASSIGNMENT_STATE, f"the assignment is already {assignment.status}"
        )
    assignment_approve(assignment, now=now, feedback=feedback)
    return "Approved"


def _reject(assignment: Assignment, now: datetime, reason: str) -> str:
    assignment.refresh_from_db()
    assignment_transition(
        assignment,
        "reject",
        now=now,
        rejection_time=now,
        requester_feedback=reason,
    )
    return "Rejected"


def _extend(hit: HIT, now: datetime, *, maximum: int, seconds: int) -> str:
    """One more assignment (within the limits in the module doc) and enough time for it."""
    hit = hit_lock(hit.pk)
    limit = min(maximum, 9) if hit.max_assignments < 10 else maximum
    if hit.max_assignments + 1 > limit:
        raise errors.RequestError(
            "AWS.MechanicalTurk.ExtendMaximumAssignmentsReached",
            f"the HIT already has {hit.max_assignments} assignments (at most {limit})",
        )
    expiration = max(hit.expiration, now + timedelta(seconds=seconds))
    changed = {"max_assignments": hit.max_assignments + 1}
    if expiration != hit.expiration:
        changed |= {"expiration": expiration, "expiry_processed": False}
        due_at(expiration)
    HIT.objects.filter(pk=hit.pk).update(**changed)
    for key, value in changed.items():
        setattr(hit, key, value)
    event_emit(customer_id=hit.customer_id, event_type="HITExtended", at=now, hit=hit)
    hit_refresh(hit, now=now)
    return f"Extended to {hit.max_assignments} assignments"


# ---------------------------------------------------------------------------------------------
# ScoreMyKnownAnswers


def assignment_policy_run(assignment: Assignment, *, now: datetime) -> None:
    """Score a just-submitted assignment and take the actions the policy asks for."""
    hit = assignment.hit
    policy = hit.assignment_review_policy
    if not policy or policy.get("PolicyName") != KNOWN_ANSWERS:
        return
    params = parameters_of(policy)
    score, matched = known_answer_score(params.answer_key, assignment.answer)
    subject = assignment.assignment_id
    for question, ok in matched.items():
        _result(hit, "Assignment", subject, "Assignment", "KnownAnswerCorrect", ok, question)
    _result(hit, "Assignment", subject, "Assignment", "KnownAnswerScore", score)
    approve_at = params.integer("ApproveIfKnownAnswerScoreIsAtLeast")
    reject_below = params.integer("RejectIfKnownAnswerScoreIsLessThan")
    extend_below = params.integer("ExtendIfKnownAnswerScoreIsLessThan")
    if approve_at is not None and score >= approve_at:
        _action(
            hit,
            "Assignment",
            "approve",
            subject,
            "Assignment",
            now,
            lambda: _approve(assignment, now, params.text("ApproveReason")),
        )
    elif reject_below is not None and score < reject_below:
        _action(
            hit,
            "Assignment",
            "reject",
            subject,
            "Assignment",
            now,
            lambda: _reject(assignment, now, params.text("RejectReason")),
        )
    if extend_below is not None and score < extend_below:
        _action(
            hit,
            "Assignment",
            "extend",
            hit.hit_id,
            "HIT",
            now,
            lambda: _extend(
                hit,
                now,
                maximum=params.integer("ExtendMaximumAssignments", 5) or 5,
                seconds=params.integer("ExtendMinimumTimeInSeconds", 0) or 0,
            ),
        )


# ---------------------------------------------------------------------------------------------
# SimplePlurality


def hit_policy_schedule(hit: HIT, *, now: datetime) -> None:
    """Run the HIT's SimplePlurality policy once the current transaction commits."""
    if not hit.hit_review_policy or hit.hit_review_policy.get("PolicyName") != PLURALITY:
        return
    hit_pk = hit.pk

    def run() -> None:
        try:
            with transaction.atomic():
                hit_policy_run(HIT.objects.select_related("hit_type").get(pk=hit_pk), now=now)
        except Exception:
            logger.exception("the HIT review policy of HIT %s failed", hit_pk)

    transaction.on_commit(run)


@dataclass
class Agreement:
    plurality: dict[str, frozenset[str] | None]
    question_scores: dict[str, int]
    hit_score: int
    worker_scores: dict[str, int | None]


def agreement(
    answers: dict[str, dict[str, frozenset[str]]], question_ids: list[str], threshold: int
) -> Agreement:
    """Scores of the answers (assignment id -> question id -> values) per the module doc."""
    plurality: dict[str, frozenset[str] | None] = {}
    scores: dict[str, int] = {}
    for question in question_ids:
        given = [
            values.get(question, frozenset())
            for values in answers.values()
            if sum(len(v) for v in values.get(question, frozenset())) <= MAX_COMPARED_ANSWER
        ]
        if not given:
            plurality[question] = None
            continue
        ranked = Counter(given).most_common()
        top, count = ranked[0]
        if len(ranked) > 1 and ranked[1][1] == count:
            plurality[question] = None
            scores[question] = count * 100 // len(given)
            continue
        scores[question] = count * 100 // len(given)
        plurality[question] = top if scores[question] >= threshold and top else None
    agreed = [q for q in question_ids if plurality.get(q) is not None]
    hit_score = len(agreed) * 100 // len(question_ids) if question_ids else 0
    worker_scores: dict[str, int | None] = {}
    for assignment_id, values in answers.items():
        if not agreed:
            worker_scores[assignment_id] = None
            continue
        same = sum(1 for q in agreed if values.get(q, frozenset()) == plurality[q])
        worker_scores[assignment_id] = same * 100 // len(agreed)
    return Agreement(plurality, scores, hit_score, worker_scores)


def hit_policy_run(hit: HIT, *, now: datetime) -> None:
    """Compute agreement over the HIT's assignments, record it, approve / reject / extend."""
    params = parameters_of(hit.hit_review_policy or {})
    considered = _considered_assignments(hit, params)
    answers = {
        assignment_id: answer_sets(assignment.answer)
        for assignment_id, assignment in considered.items()
    }
    question_ids = params.question_ids()
    result = agreement(answers, question_ids, params.integer("QuestionAgreementThreshold", 100))
    _agreement_record(hit, question_ids, result)
    _worker_decisions_take(hit, params, result, considered, now=now)
    _hit_extend_if_needed(hit, params, result, now=now)


def _considered_assignments(hit: HIT, params: Parameters) -> dict[str, Assignment]:
    """Assignment id -> the decided or submitted assignments the policy takes into account
    (without the rejected ones or those below a known-answer score, when the policy says so)."""
    considered = Assignment.objects.filter(
        hit=hit,
        status__in=[
            Assignment.Status.SUBMITTED,
            Assignment.Status.APPROVED,
            Assignment.Status.REJECTED,
        ],
    ).order_by("pk")
    if params.flag("DisregardAssignmentIfRejected"):
        considered = considered.exclude(status=Assignment.Status.REJECTED)
    disregard_below = params.integer("DisregardAssignmentIfKnownAnswerScoreIsLessThan")
    known_key = (
        parameters_of(hit.assignment_review_policy).answer_key
        if hit.assignment_review_policy
        else {}
    )
    by_id: dict[str, Assignment] = {}
    for assignment in considered:
        if disregard_below is not None and known_key:
            score, _ = known_answer_score(known_key, assignment.answer)
            if score < disregard_below:
                continue
        by_id[assignment.assignment_id] = assignment
    return by_id


def _agreement_record(hit: HIT, question_ids: list[str], result: Agreement) -> None:
    """The HIT-level results; each run reports the HIT as it stands now."""
    ReviewResult.objects.filter(hit=hit, level="HIT").delete()
    for question in question_ids:
        if question in result.question_scores:
            _result(
                hit,
                "HIT",
                hit.hit_id,
                "HIT",
                "QuestionAgreementScore",
                result.question_scores[question],
                question,
            )
        if result.plurality.get(question) is not None:
            _result(
                hit,
                "HIT",
                hit.hit_id,
                "HIT",
                "PluralityAnswer",
                "|".join(sorted(result.plurality[question])),
                question,
            )
    _result(hit, "HIT", hit.hit_id, "HIT", "HITAgreementScore", result.hit_score)


def _worker_decisions_take(
    hit: HIT,
    params: Parameters,
    result: Agreement,
    considered: dict[str, Assignment],
    *,
    now: datetime,
) -> None:
    """Record each worker's agreement score; approve or reject the assignments still
    Submitted by it."""
    approve_at = params.integer("ApproveIfWorkerAgreementScoreIsAtLeast")
    reject_below = params.integer("RejectIfWorkerAgreementScoreIsLessThan")
    for assignment_id, score in result.worker_scores.items():
        if score is None:
            continue
        _result(hit, "HIT", assignment_id, "Assignment", "WorkerAgreementScore", score)
        assignment = considered[assignment_id]
        if assignment.status != Assignment.Status.SUBMITTED:
            continue
        if approve_at is not None and score >= approve_at:
            _action(
                hit,
                "HIT",
                "approve",
                assignment_id,
                "Assignment",
                now,
                lambda a=assignment: _approve(a, now, ""),
            )
        elif reject_below is not None and score < reject_below:
            _action(
                hit,
                "HIT",
                "reject",
                assignment_id,
                "Assignment",
                now,
                lambda a=assignment: _reject(a, now, params.text("RejectReason")),
            )


def _hit_extend_if_needed(hit: HIT, params: Parameters, result: Agreement, *, now: datetime):
    """Extend the HIT while its agreement is below the threshold (below 100 when only
    ExtendMaximumAssignments is given)."""
    maximum = params.integer("ExtendMaximumAssignments")
    extend_below = params.integer("ExtendIfHITAgreementScoreIsLessThan")
    if extend_below is None and maximum is not None:
        extend_below = 100
    if extend_below is not None and maximum is not None and result.hit_score < extend_below:
        _action(
            hit,
            "HIT",
            "extend",
            hit.hit_id,
            "HIT",
            now,
            lambda: _extend(
                hit,
                now,
                maximum=maximum,
                seconds=params.integer("ExtendMinimumTimeInSeconds", 0) or 0,
            ),
        )
