"""The reliability suite: the back half of the journey (launch, the crowd works, answers mirrored,
review, bulk bonus) under one fault at a time, then the same invariants (`assert_invariants`):
one HIT per row, one payment per bonus row, every submission mirrored, no lost audit entry, the
balance explained by the audit log."""

from __future__ import annotations

import pytest

from apps.batches.models import BatchStatus
from tests.faults.journey import assert_invariants
from tests.fixtures.celery import start_celery_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_lost_responses_and_a_throttle_through_launch_review_and_bonus(
    journey, emulator, celery_worker_process
):
    journey.account.requests_per_second = 10
    journey.account.save(update_fields=["requests_per_second"])
    emulator.faults(lost_response_rate=0.05, throttle_rps=10, seed=11)

    journey.launch(30)
    journey.wait_launched()
    assert journey.work() == 30
    journey.sync()
    assert journey.submitted_mirrored() == 30
    journey.review()
    journey.bonus_batch_make()
    journey.bonus_pay_in_worker()
    journey.wait_bonus_done()

    stats = emulator.stats()["customers"][journey.account.access_key_id]
    assert stats.get("CreateHITWithHITType", 0) >= 30
    assert_invariants(journey)


def test_a_worker_killed_in_the_middle_of_a_launch(journey, emulator, celery_worker_process):
    emulator.faults(latency_ms=150, operations=["CreateHITWithHITType"])
    journey.launch(40)
    wait_for(lambda: journey.rows_created() >= 5, timeout=30, message="the first HITs")

    celery_worker_process.kill()

    assert journey.batch_status() == BatchStatus.LAUNCHING
    assert journey.rows_created() < 40
    second = start_celery_worker()
    try:
        journey.wait_launched()
        emulator.clear_faults()
        journey.work()
        journey.sync()
        journey.review()
        journey.bonus_batch_make(10)
        journey.bonus_pay_in_worker()
        journey.wait_bonus_done()
    finally:
        second.stop()
    assert_invariants(journey)


def test_a_worker_killed_in_the_middle_of_a_bulk_bonus(journey, emulator, celery_worker_process):
    journey.launch(30)
    journey.wait_launched()
    journey.work()
    journey.sync()
    journey.review()
    journey.bonus_batch_make()
    emulator.faults(latency_ms=300, operations=["SendBonus"])

    journey.bonus_pay_in_worker()
    wait_for(lambda: journey.bonuses_sent() >= 4, timeout=30, message="the first bonuses")
    celery_worker_process.kill()

    assert journey.bonuses_sent() < len(journey.bonus_batch.rows)
    second = start_celery_worker()
    try:
        journey.wait_bonus_done()
    finally:
        second.stop()
    assert_invariants(journey)
