"""Worker blocks and NotifyWorkers."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.emulator import EmulatorControlError, access_key_of

from .conftest import create_hit, error_of, new_worker_id


def test_a_blocked_worker_cannot_accept_this_requesters_hits(mturk, emulator, emulator_server):
    from tests.fixtures.emulator import make_mturk_client

    worker = new_worker_id()
    mturk.create_worker_block(WorkerId=worker, Reason="Spam answers")
    hit = create_hit(mturk)
    with pytest.raises(EmulatorControlError) as excinfo:
        emulator.accept(worker, hit["HITId"])
    assert excinfo.value.payload["error"] == "Blocked"
    other = create_hit(make_mturk_client(emulator_server.url))
    assert emulator.accept(worker, other["HITId"])
    mturk.delete_worker_block(WorkerId=worker, Reason="Forgiven")
    assert emulator.accept(worker, hit["HITId"])


def test_it_lists_worker_blocks_in_pages(mturk):
    workers = [new_worker_id() for _ in range(3)]
    for worker in workers:
        mturk.create_worker_block(WorkerId=worker, Reason=f"reason {worker}")
    mturk.create_worker_block(WorkerId=workers[0], Reason="updated")
    page = mturk.list_worker_blocks(MaxResults=2)
    rest = mturk.list_worker_blocks(MaxResults=2, NextToken=page["NextToken"])
    blocks = page["WorkerBlocks"] + rest["WorkerBlocks"]
    assert [b["WorkerId"] for b in blocks] == workers
    assert blocks[0]["Reason"] == "updated"
    assert "NextToken" not in rest


def test_a_block_needs_a_reason(mturk):
    with pytest.raises(ClientError) as excinfo:
        mturk.create_worker_block(WorkerId=new_worker_id(), Reason=" ")
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.MissingParameter"


def test_notify_workers_reaches_only_workers_who_worked_for_you(mturk, emulator, submitted):
    _, assignment_id, worker = submitted
    stranger = new_worker_id()
    mturk.approve_assignment(AssignmentId=assignment_id)
    answer = mturk.notify_workers(
        Subject="New batch", MessageText="More cats tomorrow", WorkerIds=[worker, stranger]
    )
    failures = answer["NotifyWorkersFailureStatuses"]
    assert [f["WorkerId"] for f in failures] == [stranger]
    assert failures[0]["NotifyWorkersFailureCode"] == "HardFailure"
    key = access_key_of(mturk)
    messages = emulator.notifications(key)
    assert messages == [
        {
            "Customer": key,
            "Subject": "New batch",
            "MessageText": "More cats tomorrow",
            "WorkerIds": [worker],
            "SentAt": messages[0]["SentAt"],
        }
    ]


@pytest.mark.parametrize(
    ("kwargs", "code", "named"),
    [
        ({"WorkerIds": [f"A{i:05d}" for i in range(101)]}, "AWS.ParameterOutOfRange", "WorkerIds"),
        ({"WorkerIds": []}, "AWS.MechanicalTurk.MissingParameter", "WorkerIds"),
        ({"Subject": "s" * 201}, "AWS.ParameterOutOfRange", "Subject"),
        ({"MessageText": "m" * 4097}, "AWS.ParameterOutOfRange", "MessageText"),
    ],
)
def test_notify_workers_checks_its_limits(mturk, kwargs, code, named):
    params = {"Subject": "Hi", "MessageText": "Hello", "WorkerIds": [new_worker_id()]} | kwargs
    with pytest.raises(ClientError) as excinfo:
        mturk.notify_workers(**params)
    assert error_of(excinfo)[1] == code
    assert named in error_of(excinfo)[2]
