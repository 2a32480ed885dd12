"""ScoreMyKnownAnswers and SimplePlurality act as the API Reference's examples say."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import create_hit, error_of, new_worker_id, question_form


def known_answers(key: dict[str, str], **parameters) -> dict:
    policy = [
        {
            "Key": "AnswerKey",
            "MapEntries": [{"Key": q, "Values": [a]} for q, a in key.items()],
        }
    ]
    policy += [{"Key": k, "Values": [str(v)]} for k, v in parameters.items()]
    return {"PolicyName": "ScoreMyKnownAnswers/2011-09-01", "Parameters": policy}


def plurality(question_ids: list[str], **parameters) -> dict:
    policy = [{"Key": "QuestionIds", "Values": [",".join(question_ids)]}]
    policy += [{"Key": k, "Values": [str(v)]} for k, v in parameters.items()]
    return {"PolicyName": "SimplePlurality/2011-09-01", "Parameters": policy}


def results_of(mturk, hit_id: str, level: str) -> tuple[list[dict], list[dict]]:
    found = mturk.list_review_policy_results_for_hit(
        HITId=hit_id, PolicyLevels=[level], MaxResults=100
    )
    report = found[f"{level}ReviewReport"]
    return report["ReviewResults"], report["ReviewActions"]


def value_of(results: list[dict], key: str, subject: str | None = None, question=None) -> str:
    return next(
        r["Value"]
        for r in results
        if r["Key"] == key
        and (subject is None or r["SubjectId"] == subject)
        and (question is None or r.get("QuestionId") == question)
    )


def status_of(mturk, assignment_id: str) -> str:
    return mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]["AssignmentStatus"]


PHOTO_KEY = {"Q3": "B", "Q7": "A", "Q15": "F", "Q17": "C", "Q18": "A"}
PHOTOS = [f"Q{n}" for n in range(1, 21)]


def photo_answers(right: int, **others: str) -> dict[str, str]:
    """Answers to the 20 photos with `right` of the 5 known answers correct."""
    answers = {q: others.get(q, "ok") for q in PHOTOS}
    for index, (question, answer) in enumerate(PHOTO_KEY.items()):
        answers[question] = answer if index < right else "WRONG"
    return answers


def test_photo_moderation_extends_to_at_most_three_workers(mturk, emulator):
    """Single worker with known answers: below 80% the HIT goes to one more worker, up to 3."""
    hit = create_hit(
        mturk,
        Question=question_form(*PHOTOS),
        MaxAssignments=1,
        AssignmentReviewPolicy=known_answers(
            PHOTO_KEY, ExtendIfKnownAnswerScoreIsLessThan=80, ExtendMaximumAssignments=3
        ),
    )
    hit_id = hit["HITId"]
    first = emulator.complete(new_worker_id(), hit_id, photo_answers(3))
    got = mturk.get_hit(HITId=hit_id)["HIT"]
    assert got["MaxAssignments"] == 2 and got["HITStatus"] == "Assignable"
    results, actions = results_of(mturk, hit_id, "Assignment")
    assert value_of(results, "KnownAnswerScore", first) == "60"
    assert [(a["ActionName"], a["Status"]) for a in actions] == [("extend", "Succeeded")]
    emulator.complete(new_worker_id(), hit_id, photo_answers(2))
    assert mturk.get_hit(HITId=hit_id)["HIT"]["MaxAssignments"] == 3
    emulator.complete(new_worker_id(), hit_id, photo_answers(1))
    got = mturk.get_hit(HITId=hit_id)["HIT"]
    assert got["MaxAssignments"] == 3 and got["HITStatus"] == "Reviewable"
    _, actions = results_of(mturk, hit_id, "Assignment")
    assert [a["Status"] for a in actions] == ["Succeeded", "Succeeded", "Failed"]
    assert status_of(mturk, first) == "Submitted"  # no approve/reject parameters given


def test_a_good_worker_is_not_extended_and_can_be_approved(mturk, emulator):
    hit = create_hit(
        mturk,
        Question=question_form(*PHOTOS),
        AssignmentReviewPolicy=known_answers(
            PHOTO_KEY,
            ApproveIfKnownAnswerScoreIsAtLeast=80,
            ApproveReason="Well done",
            ExtendIfKnownAnswerScoreIsLessThan=80,
        ),
    )
    assignment_id = emulator.complete(new_worker_id(), hit["HITId"], photo_answers(4))
    assignment = mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert assignment["AssignmentStatus"] == "Approved"
    assert assignment["RequesterFeedback"] == "Well done"
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["MaxAssignments"] == 1
    results, actions = results_of(mturk, hit["HITId"], "Assignment")
    assert value_of(results, "KnownAnswerScore") == "80"
    assert value_of(results, "KnownAnswerCorrect", question="Q18") == "False"
    assert [(a["ActionName"], a["TargetId"]) for a in actions] == [("approve", assignment_id)]


def test_known_answers_reject_with_the_reason(mturk, emulator):
    hit = create_hit(
        mturk,
        Question=question_form("color", "size"),
        AssignmentReviewPolicy=known_answers(
            {"color": "blue"}, RejectIfKnownAnswerScoreIsLessThan=100, RejectReason="Wrong colour"
        ),
    )
    assignment_id = emulator.complete(
        new_worker_id(), hit["HITId"], {"color": " Blue ", "size": "L"}
    )
    assignment = mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]
    assert assignment["AssignmentStatus"] == "Rejected"  # case matters, whitespace does not
    assert assignment["RequesterFeedback"] == "Wrong colour"


def test_agreement_among_several_workers_disregards_those_who_miss_known_answers(mturk, emulator):
    """Photo moderation with agreement: approve at 80% known answers, agreement on the rest
    among the workers who reached 80%."""
    unknown = ["Q1", "Q2", "Q5"]
    hit = create_hit(
        mturk,
        Question=question_form(*PHOTOS),
        MaxAssignments=3,
        AssignmentReviewPolicy=known_answers(
            PHOTO_KEY,
            ApproveIfKnownAnswerScoreIsAtLeast=80,
            ExtendIfKnownAnswerScoreIsLessThan=80,
            ExtendMaximumAssignments=3,
        ),
        HITReviewPolicy=plurality(
            unknown,
            QuestionAgreementThreshold=100,
            DisregardAssignmentIfKnownAnswerScoreIsLessThan=80,
        ),
    )
    hit_id = hit["HITId"]
    good = [
        emulator.complete(new_worker_id(), hit_id, photo_answers(5, Q1="safe", Q2="nsfw"))
        for _ in range(2)
    ]
    bad = emulator.complete(new_worker_id(), hit_id, photo_answers(2, Q1="nsfw", Q2="safe"))
    assert [status_of(mturk, a) for a in good] == ["Approved", "Approved"]
    assert status_of(mturk, bad) == "Submitted"
    _, assignment_actions = results_of(mturk, hit_id, "Assignment")
    extend = [a for a in assignment_actions if a["ActionName"] == "extend"]
    assert [a["Status"] for a in extend] == ["Failed"]  # already at ExtendMaximumAssignments
    results, _ = results_of(mturk, hit_id, "HIT")
    assert value_of(results, "HITAgreementScore") == "100"
    assert value_of(results, "PluralityAnswer", question="Q1") == "safe"
    assert bad not in {r["SubjectId"] for r in results}


def test_the_references_agreement_table(mturk, emulator):
    """Four questions, three workers: the scores of the reference's example chart."""
    hit = create_hit(
        mturk,
        Question=question_form("A", "B", "C", "D"),
        MaxAssignments=3,
        HITReviewPolicy=plurality(
            ["A", "B", "C", "D"],
            QuestionAgreementThreshold=60,
            DisregardAssignmentIfRejected="true",
            ApproveIfWorkerAgreementScoreIsAtLeast=100,
            RejectIfWorkerAgreementScoreIsLessThan=70,
            RejectReason="You disagreed with the others",
        ),
    )
    hit_id = hit["HITId"]
    answers = [
        {"A": "coat", "B": "blue", "C": "large", "D": "Furry"},
        {"A": "sweater", "B": "blue", "C": "large", "D": "fur"},
        {"A": "coat", "B": "green", "C": "large", "D": "furr"},
    ]
    ids = [emulator.complete(new_worker_id(), hit_id, a) for a in answers]
    results, actions = results_of(mturk, hit_id, "HIT")
    assert value_of(results, "QuestionAgreementScore", question="A") == "66"
    assert value_of(results, "QuestionAgreementScore", question="B") == "66"
    assert value_of(results, "QuestionAgreementScore", question="C") == "100"
    assert not [r for r in results if r["Key"] == "PluralityAnswer" and r["QuestionId"] == "D"]
    assert value_of(results, "HITAgreementScore") == "75"
    assert [value_of(results, "WorkerAgreementScore", a) for a in ids] == ["100", "66", "66"]
    assert [status_of(mturk, a) for a in ids] == ["Approved", "Rejected", "Rejected"]
    rejected = mturk.get_assignment(AssignmentId=ids[1])["Assignment"]
    assert rejected["RequesterFeedback"] == "You disagreed with the others"
    assert {(a["ActionName"], a["Status"]) for a in actions} == {
        ("approve", "Succeeded"),
        ("reject", "Succeeded"),
    }


def test_categorization_extends_to_a_third_worker_with_more_time(mturk, emulator):
    hit = create_hit(
        mturk,
        Question=question_form("questionID1", "tags", "comments"),
        MaxAssignments=2,
        LifetimeInSeconds=600,
        HITReviewPolicy=plurality(
            ["questionID1"],
            QuestionAgreementThreshold=100,
            ExtendMinimumTimeInSeconds=3600,
            ExtendMaximumAssignments=3,
        ),
    )
    hit_id = hit["HITId"]
    emulator.complete(new_worker_id(), hit_id, {"questionID1": "shoes", "tags": "a"})
    emulator.complete(new_worker_id(), hit_id, {"questionID1": "boots", "tags": "b"})
    got = mturk.get_hit(HITId=hit_id)["HIT"]
    assert got["MaxAssignments"] == 3 and got["HITStatus"] == "Assignable"
    assert (got["Expiration"] - got["CreationTime"]).total_seconds() >= 3600
    _, actions = results_of(mturk, hit_id, "HIT")
    assert [(a["ActionName"], a["Status"]) for a in actions] == [("extend", "Succeeded")]
    emulator.complete(new_worker_id(), hit_id, {"questionID1": "shoes", "tags": "c"})
    results, _ = results_of(mturk, hit_id, "HIT")
    assert value_of(results, "QuestionAgreementScore", question="questionID1") == "66"


def test_results_page_and_filter(mturk, emulator):
    hit = create_hit(
        mturk,
        Question=question_form(*PHOTOS),
        MaxAssignments=2,
        AssignmentReviewPolicy=known_answers(PHOTO_KEY),
        HITReviewPolicy=plurality(["Q1"], QuestionAgreementThreshold=50),
    )
    for _ in range(2):
        emulator.complete(new_worker_id(), hit["HITId"], photo_answers(5))
    first = mturk.list_review_policy_results_for_hit(
        HITId=hit["HITId"], PolicyLevels=["Assignment"], MaxResults=5
    )
    assert len(first["AssignmentReviewReport"]["ReviewResults"]) == 5
    assert "HITReviewReport" not in first
    seen = list(first["AssignmentReviewReport"]["ReviewResults"])
    token = first.get("NextToken")
    while token:
        page = mturk.list_review_policy_results_for_hit(
            HITId=hit["HITId"], PolicyLevels=["Assignment"], MaxResults=5, NextToken=token
        )
        seen += page["AssignmentReviewReport"]["ReviewResults"]
        token = page.get("NextToken")
    assert len(seen) == 12  # 2 x (5 KnownAnswerCorrect + 1 KnownAnswerScore)
    only_actions = mturk.list_review_policy_results_for_hit(
        HITId=hit["HITId"], RetrieveResults=False, RetrieveActions=True
    )
    assert "ReviewResults" not in only_actions["HITReviewReport"]
    assert only_actions["HITReviewReport"]["ReviewActions"] == []


@pytest.mark.parametrize(
    ("policy", "named"),
    [
        (known_answers({"q": "a"}, ExtendMaximumAssignments=30), "ExtendMaximumAssignments"),
        (known_answers({"q": "a"}, Bogus=1), "Bogus"),
        (plurality(["q"]), "QuestionAgreementThreshold"),
    ],
)
def test_it_refuses_bad_policy_parameters(mturk, policy, named):
    key = (
        "AssignmentReviewPolicy"
        if policy["PolicyName"].startswith("ScoreMyKnownAnswers")
        else "HITReviewPolicy"
    )
    with pytest.raises(ClientError) as excinfo:
        create_hit(mturk, Question=question_form("q"), **{key: policy})
    assert named in error_of(excinfo)[2]
