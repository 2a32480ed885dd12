"""The gateway against a real local MTurk process, over HTTP."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from apps.mturk import errors
from apps.mturk.gateway import AccountConfig, Gateway
from apps.mturk.ratelimit import FileRateLimiter
from tests.factories import random_access_key_id

QUESTION = """<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd">
<HTMLContent><![CDATA[<!DOCTYPE html><html><body><form name="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit"><input type="hidden" name="assignmentId" value=""><input name="answer"><input type="submit"></form></body></html>]]></HTMLContent>
<FrameHeight>400</FrameHeight></HTMLQuestion>"""


@pytest.fixture
def gateway(emulator_server, tmp_path):
    config = AccountConfig(
        key=f"gw-{random_access_key_id()}",
        endpoint_url=emulator_server.url,
        access_key_id=random_access_key_id(),
        secret_access_key="secret",
        requests_per_second=1000.0,
    )
    return Gateway(config, limiter=FileRateLimiter(tmp_path))


def _create_hit(gateway, **overrides):
    params = {
        "Title": "Label an image",
        "Description": "Say what the image shows",
        "Reward": "0.10",
        "AssignmentDurationInSeconds": 600,
        "LifetimeInSeconds": 3600,
        "MaxAssignments": 1,
        "Question": QUESTION,
    }
    params.update(overrides)
    return gateway.call("create_hit", **params)["HIT"]


def test_it_reads_the_balance_as_a_decimal(gateway):
    assert gateway.account_balance() == Decimal("10000.00")


def test_it_pages_through_every_hit(gateway, emulator_server):
    created = {_create_hit(gateway, RequesterAnnotation=str(i))["HITId"] for i in range(7)}
    pages = list(gateway.pages("list_hits", MaxResults=3))
    assert len(pages) == 3
    assert {hit["HITId"] for hit in gateway.paginate("list_hits", MaxResults=3)} == created
    assert "ResponseMetadata" not in pages[0]


def test_mturk_errors_come_back_typed(gateway):
    with pytest.raises(errors.MTurkNotFound) as caught:
        gateway.call("get_hit", HITId="3" * 30)
    assert caught.value.turk_error_code.startswith("AWS.MechanicalTurk.")
    hit = _create_hit(gateway)
    with pytest.raises(errors.MTurkDuplicateRequest):
        _create_hit(gateway, UniqueRequestToken="batch-1-row-1")
        _create_hit(gateway, UniqueRequestToken="batch-1-row-1")
    assert hit["HITId"]


def test_throttling_is_retried_and_every_attempt_is_paced(emulator_server, emulator, tmp_path):
    calls = []

    class CountingLimiter(FileRateLimiter):
        def acquire(self, key, rate):
            calls.append(key)
            return super().acquire(key, rate)

    config = AccountConfig(
        key="paced",
        endpoint_url=emulator_server.url,
        access_key_id=random_access_key_id(),
        secret_access_key="secret",
        requests_per_second=20.0,
    )
    gateway = Gateway(config, limiter=CountingLimiter(tmp_path))
    started = time.monotonic()
    for _ in range(10):
        gateway.account_balance()
    assert time.monotonic() - started >= 9 / 20.0 * 0.9
    assert len(calls) == 10

    emulator.faults(throttle_rps=2, operations=["GetAccountBalance"])
    calls.clear()
    for _ in range(4):
        assert gateway.account_balance() == Decimal("10000.00")
    # throttled attempts were retried by botocore, and each retry took a slot too
    assert len(calls) >= 4


def test_a_wrong_secret_in_strict_mode_is_an_auth_error(tmp_path):
    from tests.fixtures.emulator import start_emulator

    server = start_emulator(
        tmp_path / "strict", env={"EMULATOR_CREDENTIALS": "AKIASTRICT0000000001:right"}
    )
    try:
        config = AccountConfig(
            key="strict",
            endpoint_url=server.url,
            access_key_id="AKIASTRICT0000000001",
            secret_access_key="wrong",
        )
        with pytest.raises(errors.MTurkAuthError):
            Gateway(config, limiter=FileRateLimiter(tmp_path)).account_balance()
    finally:
        server.stop()
