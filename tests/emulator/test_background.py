"""The `make run` extras of an emulator process: the background crowd and the local queue it
keeps for notifications."""

from __future__ import annotations

import time
import uuid

from tests.fixtures.emulator import make_mturk_client, start_emulator

from .conftest import create_hit


def test_the_background_crowd_works_and_the_queue_is_created(tmp_path, sqs_server):
    queue_url = f"{sqs_server.url}/123456789012/bg-{uuid.uuid4().hex[:8]}"
    server = start_emulator(
        tmp_path,
        env={
            "EMULATOR_CROWD": "on",
            "EMULATOR_CROWD_INTERVAL": "0.2",
            "EMULATOR_ENSURE_SQS_QUEUE": queue_url,
        },
    )
    try:
        mturk = make_mturk_client(server.url)
        hit = create_hit(mturk, MaxAssignments=2)
        deadline = time.monotonic() + 20
        submitted = 0
        while time.monotonic() < deadline and submitted < 1:
            submitted = mturk.list_assignments_for_hit(HITId=hit["HITId"])["NumResults"]
            time.sleep(0.2)
        assert submitted >= 1
        queues = sqs_server.client().list_queues().get("QueueUrls", [])
        assert queue_url in queues
    finally:
        server.stop()
