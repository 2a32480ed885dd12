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
        sqs = sqs_server.client()
        deadline = time.monotonic() + 45
        submitted, queue_made = 0, False
        while time.monotonic() < deadline and not (submitted and queue_made):
            submitted = mturk.list_assignments_for_hit(HITId=hit["HITId"])["NumResults"]
            queue_made = queue_url in sqs.list_queues().get("QueueUrls", [])
            time.sleep(0.3)
        log = server.log_path.read_text()[-3000:]
        assert submitted >= 1, log
        assert queue_made, log
    finally:
        server.stop()
