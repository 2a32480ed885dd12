"""Reconciliation against a real local MTurk: what appears, what changes, and how many calls."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.hits.models import HIT, Assignment, SyncRun
from apps.hits.sync import sync_claim, sync_release
from apps.qualifications.models import QualificationRequest, QualificationScore, QualificationType
from apps.sync.services import SyncBusy, requester_sync
from apps.workers.models import Worker, WorkerBlock
from tests.helpers import create_hit, new_worker_id, work

pytestmark = pytest.mark.django_db(transaction=True)


def _calls(emulator, account) -> dict:
    return emulator.stats()["customers"].get(account.access_key_id, {})


def test_a_hit_made_outside_the_dashboard_appears_after_a_sync(
    local_account, account_mturk, emulator
):
    hit = create_hit(account_mturk, MaxAssignments=2, RequesterAnnotation="made with boto3")
    assignment_id, worker_id = work(emulator, hit["HITId"], {"label": "a <b>cat</b>"})

    report = requester_sync(requester=local_account)

    assert report.run.ok, report.run.error
    mirrored = HIT.objects.get(requester=local_account, mturk_id=hit["HITId"])
    assert mirrored.annotation == "made with boto3"
    assert mirrored.reward == Decimal("0.50")
    assert mirrored.hit_type.title == "Label a picture"
    assert (mirrored.available, mirrored.pending, mirrored.completed) == (1, 0, 1)
    assignment = Assignment.objects.get(mturk_id=assignment_id)
    assert assignment.status == "Submitted"
    assert assignment.answers == {"label": "a <b>cat</b>"}
    assert assignment.worker_id == worker_id
    assert Worker.objects.get(requester=local_account, worker_id=worker_id).submitted == 1


def test_an_unchanged_account_costs_only_the_list_pages_and_a_constant(
    local_account, account_mturk, emulator
):
    for _ in range(5):
        hit = create_hit(account_mturk)
        work(emulator, hit["HITId"])
    requester_sync(requester=local_account)
    before = _calls(emulator, local_account)

    report = requester_sync(requester=local_account)

    after = _calls(emulator, local_account)
    spent = {op: after.get(op, 0) - before.get(op, 0) for op in after}
    assert spent.get("ListHITs") == math.ceil(5 / 100)
    assert spent.get("ListAssignmentsForHIT", 0) == 0
    assert sum(spent.values()) <= 1 + 3  # ListHITs + types, blocks, requests
    assert report.run.calls == {k: v for k, v in report.run.calls.items() if v}


def test_a_changed_hit_costs_one_listing_and_unchanged_ones_nothing(
    local_account, account_mturk, emulator
):
    hits = [create_hit(account_mturk, MaxAssignments=3) for _ in range(6)]
    for hit in hits:
        work(emulator, hit["HITId"])
    requester_sync(requester=local_account)
    before = _calls(emulator, local_account)

    work(emulator, hits[2]["HITId"])
    work(emulator, hits[4]["HITId"])
    report = requester_sync(requester=local_account)

    after = _calls(emulator, local_account)
    assert after["ListAssignmentsForHIT"] - before["ListAssignmentsForHIT"] == 2
    assert report.changes["assignments_changed"] == 2
    assert Assignment.objects.filter(hit__mturk_id=hits[2]["HITId"]).count() == 2


def test_approvals_elsewhere_are_seen_by_a_full_sync_and_states_never_go_back(
    local_account, account_mturk, emulator
):
    hit = create_hit(account_mturk)
    assignment_id, _ = work(emulator, hit["HITId"])
    requester_sync(requester=local_account)
    account_mturk.approve_assignment(AssignmentId=assignment_id)

    requester_sync(requester=local_account, full=True)
    assignment = Assignment.objects.get(mturk_id=assignment_id)
    assert assignment.status == "Approved"

    # an old payload read before the approval must not move it back
    from apps.hits.upserts import assignment_upsert_from_api

    stale = dict(
        assignment.raw,
        AssignmentStatus="Submitted",
        AssignmentId=assignment_id,
        WorkerId=assignment.worker_id,
    )
    _, changed = assignment_upsert_from_api(
        hit=assignment.hit, data=stale, fetched_at=assignment.synced_at
    )
    assert not changed
    assert Assignment.objects.get(mturk_id=assignment_id).status == "Approved"


def test_auto_approval_is_noticed_without_a_full_sync(local_account, account_mturk, emulator):
    hit = create_hit(account_mturk, AutoApprovalDelayInSeconds=3600)
    assignment_id, _ = work(emulator, hit["HITId"])
    requester_sync(requester=local_account)
    emulator.advance(3700)
    # The local MTurk's clock moved on; ours did not, so say that the time we hold has passed.
    Assignment.objects.filter(mturk_id=assignment_id).update(auto_approval_time=timezone.now())
    requester_sync(requester=local_account)
    assert Assignment.objects.get(mturk_id=assignment_id).status == "Approved"


def test_deleted_hits_are_kept_and_marked(local_account, account_mturk, emulator):
    hit = create_hit(account_mturk)
    requester_sync(requester=local_account)
    account_mturk.update_expiration_for_hit(HITId=hit["HITId"], ExpireAt=0)
    account_mturk.delete_hit(HITId=hit["HITId"])
    report = requester_sync(requester=local_account)
    mirrored = HIT.objects.get(mturk_id=hit["HITId"])
    assert mirrored.gone_at is not None
    assert report.changes["hits_gone"] == 1


def test_types_blocks_scores_and_requests_are_mirrored(local_account, account_mturk, emulator):
    qtype = account_mturk.create_qualification_type(
        Name="Past participants", Description="Did study 1", QualificationTypeStatus="Active"
    )["QualificationType"]
    worker = new_worker_id()
    hit = create_hit(account_mturk)
    work(emulator, hit["HITId"], worker_id=worker)
    account_mturk.associate_qualification_with_worker(
        QualificationTypeId=qtype["QualificationTypeId"],
        WorkerId=worker,
        IntegerValue=7,
        SendNotification=False,
    )
    account_mturk.create_worker_block(WorkerId=worker, Reason="spam")

    requester_sync(requester=local_account, full=True)

    mirrored = QualificationType.objects.get(mturk_id=qtype["QualificationTypeId"])
    assert mirrored.name == "Past participants"
    assert QualificationScore.objects.get(qualification_type=mirrored, worker_id=worker).value == 7
    assert WorkerBlock.objects.get(requester=local_account, worker_id=worker).reason == "spam"

    account_mturk.delete_worker_block(WorkerId=worker, Reason="sorry")
    requester_sync(requester=local_account)
    assert not WorkerBlock.objects.filter(requester=local_account).exists()
    assert QualificationRequest.objects.count() == 0


def test_one_sync_per_account_at_a_time(local_account):
    token = sync_claim(local_account)
    try:
        with pytest.raises(SyncBusy):
            requester_sync(requester=local_account)
    finally:
        sync_release(local_account, token)
    assert sync_claim(local_account) is not None


def test_a_sync_cut_by_faults_is_finished_by_the_next(local_account, account_mturk, emulator):
    hits = [create_hit(account_mturk) for _ in range(4)]
    for hit in hits:
        work(emulator, hit["HITId"])
    emulator.faults(error_rate=1.0, operations=["ListAssignmentsForHIT"])
    failed = requester_sync(requester=local_account, threads=1)
    assert failed.run.ok is False
    assert "ListAssignmentsForHIT" in failed.run.error or failed.run.error
    assert HIT.objects.filter(requester=local_account, assignments_stale=True).count() == 4

    emulator.clear_faults()
    finished = requester_sync(requester=local_account)
    assert finished.run.ok, finished.run.error
    assert Assignment.objects.filter(requester=local_account).count() == 4
    assert not HIT.objects.filter(requester=local_account, assignments_stale=True).exists()
    assert SyncRun.objects.filter(requester=local_account).count() == 2


HOSTILE = {
    "billion laughs": (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        "<QuestionFormAnswers><Answer><QuestionIdentifier>q</QuestionIdentifier><FreeText>&lol2;</FreeText>"
        "</Answer></QuestionFormAnswers>"
    ),
    "external entity": (
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        "<QuestionFormAnswers><Answer><QuestionIdentifier>q</QuestionIdentifier><FreeText>&xxe;</FreeText>"
        "</Answer></QuestionFormAnswers>"
    ),
    "malformed": "<QuestionFormAnswers><Answer><QuestionIdentifier>q</Answer>",
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_answer_xml_is_stored_raw_flagged_and_does_not_stop_a_sync(
    local_account, account_mturk, emulator, kind
):
    # The local MTurk (like MTurk) refuses such XML from workers, so the payload is handed to the
    # mirror's upsert as a sync would hand it over.
    from apps.hits.upserts import assignment_upsert_from_api

    hit = create_hit(account_mturk, MaxAssignments=2)
    good_id, _ = work(emulator, hit["HITId"])
    requester_sync(requester=local_account)
    mirrored = HIT.objects.get(mturk_id=hit["HITId"])
    payload = dict(
        Assignment.objects.get(mturk_id=good_id).raw, AssignmentId="H" * 30, Answer=HOSTILE[kind]
    )
    assignment, _ = assignment_upsert_from_api(
        hit=mirrored, data=payload, fetched_at=timezone.now()
    )

    assert assignment.answer_xml == HOSTILE[kind]
    assert assignment.answers == {}
    assert assignment.answer_error
    assert "root:" not in str(assignment.answers)
    work(emulator, hit["HITId"])
    assert requester_sync(requester=local_account).run.ok
