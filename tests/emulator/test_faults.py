"""Fault injection: throttling that botocore retries, errors, latency, lost responses that a
UniqueRequestToken makes harmless."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.emulator import make_mturk_client

from .conftest import create_hit, error_of


def test_throttling_answers_rate_exceeded(emulator, emulator_server):
    client = make_mturk_client(emulator_server.url, retries={"total_max_attempts": 1})
    emulator.faults(throttle_rps=1, operations=["GetAccountBalance"])
    client.get_account_balance()
    with pytest.raises(ClientError) as excinfo:
        client.get_account_balance()
    response = excinfo.value.response
    assert response["Error"]["Code"] == "ThrottlingException"
    assert response["Error"]["Message"] == "Rate exceeded"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    client.list_hits()


def test_botocore_retries_throttled_calls_until_they_pass(emulator, emulator_server):
    client = make_mturk_client(
        emulator_server.url, retries={"max_attempts": 10, "mode": "standard"}
    )
    emulator.faults(throttle_rps=5)
    results = [client.get_account_balance() for _ in range(12)]
    assert all(r["AvailableBalance"] == "10000.00" for r in results)
    assert sum(r["ResponseMetadata"]["RetryAttempts"] for r in results) > 0
    assert emulator.stats()["errors"].get("ThrottlingException", 0) > 0


def test_injected_errors_are_service_faults(emulator, mturk):
    emulator.faults(error_rate=1.0, operations=["ListHITs"])
    client = make_mturk_client(mturk.meta.endpoint_url, retries={"total_max_attempts": 1})
    with pytest.raises(ClientError) as excinfo:
        client.list_hits()
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert excinfo.value.response["Error"]["Code"] == "ServiceFault"
    assert client.get_account_balance()["AvailableBalance"] == "10000.00"


def test_injected_latency_delays_answers(emulator, mturk):
    emulator.faults(latency_ms=300, operations=["GetAccountBalance"])
    started = time.monotonic()
    mturk.get_account_balance()
    assert time.monotonic() - started >= 0.3


def test_a_lost_response_still_performs_the_operation(emulator, emulator_server):
    client = make_mturk_client(emulator_server.url, retries={"total_max_attempts": 1})
    emulator.faults(lost_response_rate=1.0, operations=["CreateHIT"])
    with pytest.raises(ClientError) as excinfo:
        create_hit(client)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    emulator.clear_faults()
    assert client.list_hits()["NumResults"] == 1


def test_tokens_survive_lost_responses_with_botocore_retries(emulator, emulator_server):
    """botocore retries the 500; the retry meets HitAlreadyExists naming the one HIT made."""
    client = make_mturk_client(emulator_server.url, retries={"max_attempts": 3})
    emulator.faults(lost_response_rate=1.0, operations=["CreateHIT"], seed=7)
    with pytest.raises(ClientError) as excinfo:
        create_hit(client, UniqueRequestToken="lost-and-found")
    emulator.clear_faults()
    _, code, message = error_of(excinfo)
    assert code == "AWS.MechanicalTurk.HitAlreadyExists"
    hits = client.list_hits()["HITs"]
    assert len(hits) == 1
    assert hits[0]["HITId"] in message


def test_fault_settings_can_be_read_and_cleared(emulator):
    settings = emulator.faults(error_rate=0.5, seed=3, operations=["GetHIT"])
    assert settings == {"error_rate": 0.5, "seed": 3, "operations": ["GetHIT"]}
    assert emulator.get_faults() == settings
    emulator.clear_faults()
    assert emulator.get_faults() == {}


def test_it_refuses_unknown_fault_settings(emulator):
    from tests.fixtures.emulator import EmulatorControlError

    with pytest.raises(EmulatorControlError) as excinfo:
        emulator.faults(explode=True)
    assert excinfo.value.status == 400
    with pytest.raises(EmulatorControlError):
        emulator.faults(error_rate=2)
