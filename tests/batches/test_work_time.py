"""The batch page says how long the work takes and what the reward pays an hour at that pace:
the median time from accepting to submitting, of the assignments that came back."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.batches.selectors import batch_counters
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project
from tests.batches.test_views import eager, launch

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["eager"]


def test_the_median_work_time_and_the_hourly_pay_it_gives(
    login, carol, local_account, emulator, eager
):
    project = make_project(local_account, carol, max_assignments=3, reward=Decimal("0.50"))
    batch = make_batch(project, carol, "image_url,caption\nhttps://example.org/a.png,a\n")
    client = login(carol)
    launch(client, batch)
    hit_id = batch.rows.get(index=0).hit_mturk_id
    assert "Median work time" not in client.get(f"/batches/{batch.pk}/").content.decode()
    for worker, seconds in (("AWORKTIME0001", 60), ("AWORKTIME0002", 300), ("AWORKTIME0003", 120)):
        assignment = emulator.accept(worker, hit_id)
        emulator.advance(seconds)
        emulator.submit(assignment, {"label": "a cat"})
    requester_sync(requester=local_account)
    counters = batch_counters(batch)
    assert (counters.median_work_seconds, counters.timed) == (120, 3)
    assert counters.hourly == Decimal("15.00")  # $0.50 every two minutes
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "Median work time 2 minutes over 3 assignments" in page
    assert "the reward pays about $15.00 an hour" in page
