"""UniqueRequestToken: no second HIT, payment or extension; tokens last 24 hours."""

from __future__ import annotations

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from .conftest import HTML_QUESTION, create_hit, error_of


def test_a_repeated_create_hit_token_names_the_existing_hit(mturk):
    hit = create_hit(mturk, UniqueRequestToken="batch-1-row-1")
    with pytest.raises(ClientError) as excinfo:
        create_hit(mturk, UniqueRequestToken="batch-1-row-1")
    _, code, message = error_of(excinfo)
    assert code == "AWS.MechanicalTurk.HitAlreadyExists"
    assert hit["HITId"] in message
    assert mturk.list_hits()["NumResults"] == 1


def test_create_hit_with_hit_type_shares_the_token_space(mturk):
    hit = create_hit(mturk, UniqueRequestToken="shared-token")
    with pytest.raises(ClientError) as excinfo:
        mturk.create_hit_with_hit_type(
            HITTypeId=hit["HITTypeId"],
            LifetimeInSeconds=600,
            Question=HTML_QUESTION,
            UniqueRequestToken="shared-token",
        )
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.HitAlreadyExists"


def test_tokens_belong_to_one_customer(mturk, emulator_server):
    from tests.fixtures.emulator import make_mturk_client

    create_hit(mturk, UniqueRequestToken="same-token")
    other = make_mturk_client(emulator_server.url)
    create_hit(other, UniqueRequestToken="same-token")
    assert other.list_hits()["NumResults"] == 1


def test_a_create_hit_token_expires_after_24_hours(mturk, emulator):
    create_hit(mturk, UniqueRequestToken="daily", LifetimeInSeconds=200000)
    emulator.advance(24 * 3600 - 60)
    with pytest.raises(ClientError):
        create_hit(mturk, UniqueRequestToken="daily")
    emulator.advance(120)
    second = create_hit(mturk, UniqueRequestToken="daily")
    assert second["HITId"]


def test_a_repeated_bonus_token_pays_once(mturk, submitted):
    _, assignment_id, worker_id = submitted
    kwargs = {
        "WorkerId": worker_id,
        "BonusAmount": "2.00",
        "AssignmentId": assignment_id,
        "Reason": "Bonus",
        "UniqueRequestToken": "bonus-1",
    }
    mturk.send_bonus(**kwargs)
    with pytest.raises(ClientError) as excinfo:
        mturk.send_bonus(**kwargs)
    _, code, message = error_of(excinfo)
    assert code == "AWS.MechanicalTurk.DuplicateRequest"
    assert "bonus-1" in message
    assert "request" in message
    assert Decimal(mturk.get_account_balance()["AvailableBalance"]) == Decimal("9997.60")
    assert mturk.list_bonus_payments(AssignmentId=assignment_id)["NumResults"] == 1


def test_a_repeated_extension_token_extends_once(mturk, hit):
    mturk.create_additional_assignments_for_hit(
        HITId=hit["HITId"], NumberOfAdditionalAssignments=2, UniqueRequestToken="more-1"
    )
    with pytest.raises(ClientError) as excinfo:
        mturk.create_additional_assignments_for_hit(
            HITId=hit["HITId"], NumberOfAdditionalAssignments=2, UniqueRequestToken="more-1"
        )
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.DuplicateRequest"
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["MaxAssignments"] == 3


def test_a_token_longer_than_64_characters_is_refused(emulator_server):
    from tests.fixtures.emulator import make_mturk_client

    client = make_mturk_client(emulator_server.url, parameter_validation=False)
    with pytest.raises(ClientError) as excinfo:
        create_hit(client, UniqueRequestToken="x" * 65)
    assert error_of(excinfo)[1] == "AWS.ParameterOutOfRange"
    assert "UniqueRequestToken" in error_of(excinfo)[2]
