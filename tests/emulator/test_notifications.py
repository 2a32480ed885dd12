"""Notification settings, test events and review policy results (delivery comes in part 2)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import create_hit, error_of

QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/mturk-events"


def notification(**overrides) -> dict:
    return {
        "Destination": QUEUE,
        "Transport": "SQS",
        "Version": "2014-08-15",
        "EventTypes": ["AssignmentSubmitted", "HITReviewable"],
    } | overrides


def test_it_stores_notification_settings(mturk, hit):
    mturk.update_notification_settings(
        HITTypeId=hit["HITTypeId"], Notification=notification(), Active=True
    )
    mturk.update_notification_settings(HITTypeId=hit["HITTypeId"], Active=False)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"Destination": "not a queue"}, "Destination"),
        ({"Transport": "SNS"}, "Destination"),
        ({"Transport": "Email", "Destination": "nobody"}, "Destination"),
        ({"Version": "1999-01-01"}, "Version"),
        ({"EventTypes": ["Ping"]}, "Ping"),
    ],
)
def test_it_checks_notification_settings(mturk, hit, overrides, named):
    with pytest.raises(ClientError) as excinfo:
        mturk.update_notification_settings(
            HITTypeId=hit["HITTypeId"], Notification=notification(**overrides)
        )
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InvalidParameterValue"
    assert named in error_of(excinfo)[2]


def test_it_accepts_sns_and_email_destinations(mturk, hit):
    mturk.update_notification_settings(
        HITTypeId=hit["HITTypeId"],
        Notification=notification(
            Transport="SNS", Destination="arn:aws:sns:us-east-1:123456789012:mturk"
        ),
    )
    mturk.update_notification_settings(
        HITTypeId=hit["HITTypeId"],
        Notification=notification(Transport="Email", Destination="lab@example.org"),
    )


def test_active_alone_needs_existing_settings(mturk, hit):
    with pytest.raises(ClientError) as excinfo:
        mturk.update_notification_settings(HITTypeId=hit["HITTypeId"], Active=True)
    assert "Active" in error_of(excinfo)[2]


def test_settings_need_a_known_hit_type(mturk):
    with pytest.raises(ClientError) as excinfo:
        mturk.update_notification_settings(HITTypeId="NOSUCHTYPE", Notification=notification())
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.HITTypeDoesNotExist"


def test_send_test_event_notification_says_it_cannot_deliver(mturk):
    with pytest.raises(ClientError) as excinfo:
        mturk.send_test_event_notification(
            Notification=notification(EventTypes=["Ping"]), TestEventType="Ping"
        )
    assert excinfo.value.response["Error"]["Code"] == "RequestError"
    assert "not sent" in error_of(excinfo)[2]
    with pytest.raises(ClientError) as excinfo:
        mturk.send_test_event_notification(
            Notification=notification(Destination="bad"), TestEventType="Ping"
        )
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InvalidParameterValue"


def test_review_policy_results_report_the_stored_policies(mturk):
    policy = {
        "PolicyName": "ScoreMyKnownAnswers/2011-09-01",
        "Parameters": [{"Key": "AnswerKey", "MapEntries": [{"Key": "q1", "Values": ["b"]}]}],
    }
    hit = create_hit(mturk, AssignmentReviewPolicy=policy)
    result = mturk.list_review_policy_results_for_hit(HITId=hit["HITId"])
    assert result["HITId"] == hit["HITId"]
    assert result["AssignmentReviewPolicy"] == policy
    assert result["AssignmentReviewReport"] == {"ReviewResults": [], "ReviewActions": []}
    assert "HITReviewPolicy" not in result
    with pytest.raises(ClientError) as excinfo:
        mturk.list_review_policy_results_for_hit(HITId="NOSUCHHIT")
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.HITDoesNotExist"
