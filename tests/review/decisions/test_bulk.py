"""Bulk review and the review CSV round trip, against a real local MTurk and a real worker."""

from __future__ import annotations

import csv
import io
import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import AuditEvent
from apps.hits.models import Assignment
from apps.requesters.models import Membership, Requester
from apps.review.decisions import bulk
from apps.review.models import BulkReview
from apps.sync.services import requester_sync
from tests.fixtures.celery import wait_for
from tests.helpers import create_hit, new_worker_id

pytestmark = pytest.mark.django_db(transaction=True)


def _submitted(
    local_account, account_mturk, emulator, n: int, per_hit: int = 100
) -> list[Assignment]:
    for start in range(0, n, per_hit):
        hit = create_hit(account_mturk, Reward="0.10", MaxAssignments=min(per_hit, n - start))
        for _ in range(min(per_hit, n - start)):
            assignment_id = emulator.accept(new_worker_id(), hit["HITId"])
            emulator.submit(assignment_id, answers={"label": "ok"})
    requester_sync(requester=local_account)
    return list(Assignment.objects.filter(requester=local_account).order_by("pk"))


def _m(user) -> Membership:
    return Membership.objects.select_related("requester").get(user=user)


def _run_inline(job: BulkReview) -> None:
    for start in range(0, job.total, bulk.CHUNK):
        bulk.bulk_review_run_chunk(job_id=job.pk, start=start, end=start + bulk.CHUNK)


def test_bulk_approve_in_a_real_worker_with_progress(
    login, bob, local_account, account_mturk, emulator, celery_worker_process
):
    assignments = _submitted(local_account, account_mturk, emulator, 60, per_hit=30)
    client = login(bob)
    form = {"scope": "all", "action": "approve", "status": "Submitted"}
    asked = client.post("/review/bulk/", form).content.decode()
    assert "Approve 60 assignments?" in asked and not BulkReview.objects.exists()
    response = client.post("/review/bulk/", {**form, "confirmed": "1", "count": "60"})
    job = BulkReview.objects.get()
    assert response["Location"] == f"/review/jobs/{job.pk}/"
    wait_for(
        lambda: BulkReview.objects.get(pk=job.pk).status == "finished",
        timeout=60,
        message="the bulk job",
    )
    assert (
        Assignment.objects.filter(pk__in=[a.pk for a in assignments], status="Approved").count()
        == 60
    )
    page = client.get(f"/review/jobs/{job.pk}/").content.decode()
    assert "60 of 60" in page and "60 done" in page


def test_bulk_approve_of_1000_pays_each_once_even_when_every_chunk_runs_twice_at_once(
    bob, local_account, account_mturk, emulator
):
    Requester.objects.filter(pk=local_account.pk).update(daily_spend_limit=Decimal("1000"))
    _submitted(local_account, account_mturk, emulator, 1000, per_hit=250)
    before = Decimal(account_mturk.get_account_balance()["AvailableBalance"])
    ids = list(Assignment.objects.filter(requester=local_account).values_list("pk", flat=True))
    job = bulk.bulk_review_start(
        membership=_m(bob), actor=bob, items=[{"id": i, "action": "approve"} for i in ids]
    )
    errors_before = emulator.stats()["errors"]  # the session's local MTurk counts them all
    # Two runners over every chunk at the same time (a redelivered task racing the first),
    # each with several MTurk calls in flight.
    runners = [threading.Thread(target=_run_inline, args=(job,)) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    bulk.bulk_review_run_chunk(job_id=job.pk, start=0, end=bulk.CHUNK)  # and once more, late
    progress = bulk.bulk_review_progress(job)
    assert (progress.done + progress.skipped, progress.failed) == (1000, 0)
    assert progress.status == "finished"
    assert Assignment.objects.filter(requester=local_account, status="Approved").count() == 1000
    assert AuditEvent.objects.filter(action="assignment.approve").count() == 1000
    assert not AuditEvent.objects.filter(action="assignment.approve.undone").exists()
    assert emulator.stats()["errors"] == errors_before
    # 0.10 reward + 0.01 minimum fee... at 250 assignments per HIT: 40% of 0.10 = 0.04
    assert before - Decimal(account_mturk.get_account_balance()["AvailableBalance"]) == Decimal(
        "140.00"
    )
    assert emulator.stats()["customers"][local_account.access_key_id]["ApproveAssignment"] == 1000


def test_rejecting_many_asks_for_confirmation_naming_the_numbers(
    login, bob, local_account, account_mturk, emulator
):
    _submitted(local_account, account_mturk, emulator, 12)
    client = login(bob)
    form = {"scope": "all", "action": "reject", "feedback": "Off topic", "status": "Submitted"}
    page = client.post("/review/bulk/", form).content.decode()
    assert "This rejects 12 assignments, 100% of the 12 submitted" in page
    assert not BulkReview.objects.exists()
    response = client.post("/review/bulk/", {**form, "confirmed": "1", "count": "60"})
    assert response.status_code == 302
    assert BulkReview.objects.get().total == 12


def test_bulk_reject_needs_feedback(bob, local_account, account_mturk, emulator):
    assignments = _submitted(local_account, account_mturk, emulator, 2)
    with pytest.raises(Exception, match="workers see this feedback"):
        bulk.bulk_review_start(
            membership=_m(bob),
            actor=bob,
            items=[{"id": a.pk, "action": "reject"} for a in assignments],
        )


def test_the_review_csv_round_trip(login, bob, local_account, account_mturk, emulator):
    assignments = _submitted(local_account, account_mturk, emulator, 4)
    client = login(bob)
    response = client.get("/review/export.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[-3:] == ["Answer.label", "Approve", "Reject"]
    rows[0]["Approve"] = "x"
    rows[1]["Approve"] = "Great, thanks"
    rows[2]["Reject"] = "Answer missing"
    rows[3]["Approve"] = "x"
    rows[3]["Reject"] = "both"
    rows.append({**rows[0], "AssignmentId": "NOTANASSIGNMENT", "Approve": "x", "Reject": ""})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    upload = SimpleUploadedFile("review.csv", out.getvalue().encode(), content_type="text/csv")
    response = client.post("/review/import/", {"file": upload})
    job = BulkReview.objects.get()
    assert job.status == "preview"
    page = client.get(response["Location"]).content.decode()
    assert "2 to approve, 1 to reject" in page
    assert "Both Approve and Reject are marked." in page
    assert "No assignment &#x27;NOTANASSIGNMENT&#x27;" in page
    confirm = client.post(f"/review/jobs/{job.pk}/apply/").content.decode()
    assert "This rejects 1 assignment, 25% of the 4 submitted" in confirm  # more than 20%
    client.post(f"/review/jobs/{job.pk}/apply/", {"confirmed": "1"})
    _run_inline(BulkReview.objects.get(pk=job.pk))
    statuses = {
        a.mturk_id: a.status for a in Assignment.objects.filter(pk__in=[a.pk for a in assignments])
    }
    assert statuses[rows[0]["AssignmentId"]] == "Approved"
    assert (
        Assignment.objects.get(mturk_id=rows[1]["AssignmentId"]).requester_feedback
        == "Great, thanks"
    )
    assert statuses[rows[2]["AssignmentId"]] == "Rejected"
    assert statuses[rows[3]["AssignmentId"]] == "Submitted"


def test_a_cancelled_job_stops(bob, local_account, account_mturk, emulator):
    assignments = _submitted(local_account, account_mturk, emulator, 3)
    job = bulk.bulk_review_start(
        membership=_m(bob),
        actor=bob,
        items=[{"id": a.pk, "action": "approve"} for a in assignments],
    )
    assert bulk.bulk_review_cancel(membership=_m(bob), job=job, actor=bob)
    _run_inline(job)
    assert not Assignment.objects.filter(status="Approved").exists()


def test_a_chunk_that_does_not_fit_the_daily_limit_approves_what_fits_one_by_one(
    bob, local_account, account_mturk, emulator
):
    # Each approval costs $0.12: the 0.10 reward and MTurk's 20% fee (5 assignments per HIT).
    assignments = _submitted(local_account, account_mturk, emulator, 5)
    Requester.objects.filter(pk=local_account.pk).update(daily_spend_limit=Decimal("0.36"))
    job = bulk.bulk_review_start(
        membership=_m(bob),
        actor=bob,
        items=[{"id": a.pk, "action": "approve"} for a in assignments],
    )
    _run_inline(job)
    progress = bulk.bulk_review_progress(job)
    assert (progress.done, progress.failed) == (3, 2)  # 3 x $0.12 fit under $0.36
    assert Assignment.objects.filter(status="Approved").count() == 3
    assert not Assignment.objects.exclude(decision="").exists()
    spent = sum(e.amount + e.fee for e in AuditEvent.objects.filter(amount__isnull=False))
    assert spent == Decimal("0.36")


def test_approvals_reserved_for_a_chunk_are_given_back_when_the_job_stops(
    bob, local_account, account_mturk, emulator, monkeypatch
):
    assignments = _submitted(local_account, account_mturk, emulator, 4)
    job = bulk.bulk_review_start(
        membership=_m(bob),
        actor=bob,
        items=[{"id": a.pk, "action": "approve"} for a in assignments],
    )
    # Stop is pressed right after the chunk reserved its approvals, before any was sent.
    answers = iter([False])
    monkeypatch.setattr(bulk, "Watch", lambda read, **kwargs: lambda: next(answers, True))
    _run_inline(job)
    assert not Assignment.objects.filter(status="Approved").exists()
    assert not Assignment.objects.exclude(decision="").exists()
    assert AuditEvent.objects.filter(action="assignment.approve").count() == 4
    assert AuditEvent.objects.filter(action="assignment.approve.undone").count() == 4
    spent = sum(e.amount + e.fee for e in AuditEvent.objects.filter(amount__isnull=False))
    assert spent == 0
    stats = emulator.stats()["customers"][local_account.access_key_id]
    assert stats.get("ApproveAssignment", 0) == 0
