from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.audit.models import AuditEvent
from apps.qualifications import services as qualification_services
from apps.qualifications.models import QualificationScore, QualificationType
from apps.sync.services import requester_sync
from apps.workers import services
from apps.workers.models import WorkerBlock
from tests.helpers import new_worker_id
from tests.workers.conftest import membership_of

pytestmark = pytest.mark.django_db(transaction=True)


_m = membership_of


def test_block_and_unblock_reach_mturk_and_the_mirror(carol, workers, account_mturk, local_account):
    services.worker_block(
        membership=_m(carol), actor=carol, worker_id=workers[0], reason="Copy-pasted answers"
    )
    listed = account_mturk.list_worker_blocks()["WorkerBlocks"]
    assert [b["WorkerId"] for b in listed] == [workers[0]]
    assert WorkerBlock.objects.get(requester=local_account).reason == "Copy-pasted answers"
    services.worker_unblock(membership=_m(carol), actor=carol, worker_id=workers[0])
    assert account_mturk.list_worker_blocks()["WorkerBlocks"] == []
    assert not WorkerBlock.objects.exists()
    assert list(AuditEvent.objects.values_list("action", flat=True).order_by("id")) == [
        "worker.block",
        "worker.unblock",
    ]


def test_a_reviewer_cannot_block(bob, workers):
    with pytest.raises(PermissionDenied):
        services.worker_block(membership=_m(bob), actor=bob, worker_id=workers[0], reason="x")


def test_messages_go_in_chunks_of_100_and_failures_are_kept(
    carol, workers, emulator, local_account, account_mturk
):
    # MTurk lets a requester notify only workers whose work it approved or rejected.
    for hit in account_mturk.list_hits()["HITs"]:
        for assignment in account_mturk.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]:
            account_mturk.approve_assignment(AssignmentId=assignment["AssignmentId"])
    strangers = [new_worker_id() for _ in range(120)]
    message = services.workers_message(
        membership=_m(carol),
        actor=carol,
        worker_ids=workers + strangers,
        subject="New study",
        text="We have more HITs.",
    )
    assert emulator.stats()["customers"][local_account.access_key_id]["NotifyWorkers"] == 2
    assert set(message.failures) == set(strangers)
    assert len(message.worker_ids) == 123


def test_a_chunk_mturk_refuses_counts_its_workers_as_failed_and_the_rest_is_still_sent(
    carol, local_account, emulator, settings
):
    settings.MTURK_MAX_ATTEMPTS = 1
    strangers = [new_worker_id() for _ in range(150)]
    emulator.faults(error_rate=1.0, operations=["NotifyWorkers"])
    message = services.workers_message(
        membership=_m(carol), actor=carol, worker_ids=strangers, subject="S", text="T"
    )
    emulator.clear_faults()
    assert set(message.failures) == set(strangers)
    assert all(
        why.startswith("MTurk refused the call for this part of the list: notify_workers:")
        for why in message.failures.values()
    )
    assert message.sent_count == 0
    # Both chunks were tried, each once and retried once (botocore's max_attempts counts the
    # retries).
    assert emulator.stats()["customers"][local_account.access_key_id]["NotifyWorkers"] == 2 * 2
    event = AuditEvent.objects.get(action="worker.message")
    assert event.details["failed"] == 150 and event.details["sent"] == 0


@pytest.mark.parametrize(
    ("subject", "text"), [("", "x"), ("x" * 201, "x"), ("s", ""), ("s", "x" * 4097)]
)
def test_message_limits(carol, workers, subject, text):
    with pytest.raises(ValidationError):
        services.workers_message(
            membership=_m(carol), actor=carol, worker_ids=workers, subject=subject, text=text
        )


def test_grant_change_and_revoke_a_score(carol, workers, account_mturk, local_account):
    qtype_id = account_mturk.create_qualification_type(
        Name="Trusted", Description="Good past work", QualificationTypeStatus="Active"
    )["QualificationType"]["QualificationTypeId"]
    requester_sync(requester=local_account)
    qtype = QualificationType.objects.get(mturk_id=qtype_id)
    qualification_services.worker_score_set(
        membership=_m(carol), actor=carol, worker_id=workers[1], qualification_type=qtype, value=80
    )
    qualification_services.worker_score_set(
        membership=_m(carol), actor=carol, worker_id=workers[1], qualification_type=qtype, value=90
    )
    remote = account_mturk.get_qualification_score(
        QualificationTypeId=qtype_id, WorkerId=workers[1]
    )
    assert remote["Qualification"]["IntegerValue"] == 90
    qualification_services.worker_score_revoke(
        membership=_m(carol), actor=carol, worker_id=workers[1], qualification_type=qtype
    )
    assert QualificationScore.objects.get(worker_id=workers[1]).status == "Revoked"


def test_pages_list_and_show_a_worker_with_actions_by_role(login, carol, victor, workers):
    page = login(victor).get("/workers/").content.decode()
    for worker_id in workers:
        assert worker_id in page
    detail = login(victor).get(f"/workers/{workers[0]}/").content.decode()
    assert "Your role lets you look, not act." in detail
    assert login(victor).post(f"/workers/{workers[0]}/block/", {"reason": "x"}).status_code == 403
    response = login(carol).post(f"/workers/{workers[0]}/block/", {"reason": "Spam"}, follow=True)
    assert "is blocked" in response.content.decode()


def test_an_unknown_worker_is_404(login, carol, workers):
    assert login(carol).get("/workers/ANEVERSEEN0000/").status_code == 404
