"""The review queue of one batch: HITs know their batch, the filter keeps to it, and a page of the
queue costs the same few queries whatever its number."""

from __future__ import annotations

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.batches import services
from apps.batches.models import Batch, BatchStatus, Project
from apps.hits.models import HIT, Assignment, AssignmentStatus, HITType, batch_key_from_annotation
from apps.requesters.models import Membership
from apps.review.models import BulkReview, FeedbackReason
from apps.sync.services import requester_sync
from apps.workers.models import Worker
from tests.batches.conftest import make_batch, make_project, rows_csv
from tests.helpers import create_hit, work


@pytest.fixture
def eager():
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _batch_files(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def _launched(project, carol, name: str, rows: int) -> Batch:
    batch = make_batch(project, carol, rows_csv(rows), name=name)
    services.batch_launch(membership=Membership.objects.get(user=carol), actor=carol, batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED, batch.error
    return batch


def test_the_batch_key_is_read_from_the_launch_marker_only():
    assert batch_key_from_annotation("mturkdash:0a1b2c3d4e5f:17 pilot") == "0a1b2c3d4e5f"
    assert batch_key_from_annotation("mturkdash:0a1b2c3d4e5f:17") == "0a1b2c3d4e5f"
    assert batch_key_from_annotation("pilot mturkdash:0a1b2c3d4e5f:17") == ""
    assert batch_key_from_annotation("mturkdash:0a1b2c3d4e5f:x") == ""
    assert batch_key_from_annotation("") == ""


@pytest.mark.django_db(transaction=True)
def test_sync_fills_the_batch_key_of_hits_made_by_a_launch(
    local_account, account_mturk, carol, emulator, eager
):
    batch = _launched(make_project(local_account, carol), carol, "Pilot", 3)
    assert set(HIT.objects.values_list("batch_key", flat=True)) == {batch.launch_key}
    elsewhere = create_hit(account_mturk, RequesterAnnotation="made by hand")
    # The mirror forgets the HITs; reconciliation finds them at MTurk again.
    HIT.objects.all().delete()
    requester_sync(requester=local_account)
    keys = dict(HIT.objects.values_list("mturk_id", "batch_key"))
    assert keys.pop(elsewhere["HITId"]) == ""
    assert set(keys) == set(batch.rows.values_list("hit_mturk_id", flat=True))
    assert set(keys.values()) == {batch.launch_key}


@pytest.mark.django_db
def test_the_migration_backfills_hits_already_mirrored(account):
    migration = importlib.import_module("apps.hits.migrations.0004_hit_batch_key")
    marked = HIT.objects.create(
        requester=account,
        mturk_id="H1",
        title="t",
        status="Assignable",
        reward=Decimal("0.10"),
        annotation="mturkdash:abcdef123456:4 pilot",
    )
    plain = HIT.objects.create(
        requester=account,
        mturk_id="H2",
        title="t",
        status="Assignable",
        reward=Decimal("0.10"),
        annotation="mturkdash: not a marker",
    )
    answered = Assignment.objects.create(
        requester=account, mturk_id="A1", hit=marked, worker_id="AW1", status="Submitted"
    )
    migration.backfill_batch_keys(django_apps, None)
    importlib.import_module("apps.hits.migrations.0005_assignment_batch_key").copy_batch_keys(
        django_apps, None
    )
    marked.refresh_from_db()
    plain.refresh_from_db()
    answered.refresh_from_db()
    assert (marked.batch_key, plain.batch_key) == ("abcdef123456", "")
    assert answered.batch_key == "abcdef123456"


@pytest.mark.django_db(transaction=True)
def test_the_queue_of_a_batch_shows_only_that_batchs_assignments(
    login, bob, local_account, carol, emulator, eager
):
    project = make_project(local_account, carol)
    first = _launched(project, carol, "First", 2)
    second = _launched(project, carol, "Second", 2)
    # Same project, same properties: MTurk gives both batches the same HIT type.
    assert first.hit_type_mturk_id == second.hit_type_mturk_id
    ours = {work(emulator, r.hit_mturk_id, {"label": "first"})[0] for r in first.rows.all()}
    theirs = {work(emulator, r.hit_mturk_id, {"label": "second"})[0] for r in second.rows.all()}
    requester_sync(requester=local_account)
    client = login(bob)

    assert set(
        Assignment.objects.filter(mturk_id__in=ours).values_list("batch_key", flat=True)
    ) == {first.launch_key}
    page = client.get(f"/review/?batch={first.pk}").content.decode()

    assert page.count("data-assignment") == 2
    assert all(i in page for i in ours) and not any(i in page for i in theirs)
    assert f'<option value="{first.pk}" selected>First</option>' in page
    hit_type = HITType.objects.get(mturk_id=first.hit_type_mturk_id)
    both = client.get(f"/review/?hit_type={hit_type.pk}&status=Submitted").content.decode()
    assert both.count("data-assignment") == 4
    detail = client.get(f"/batches/{first.pk}/").content.decode()
    assert f'href="/review/?batch={first.pk}"' in detail and "Review this batch" in detail


@pytest.mark.django_db
def test_a_batch_of_another_account_is_not_a_choice(login, bob, account, other_account):
    project = Project.objects.create(
        requester=other_account, name="P", template="x", title="t", description="d", reward=1
    )
    foreign = Batch.objects.create(
        project=project, requester=other_account, name="Theirs", hit_type_mturk_id="HT"
    )
    response = login(bob).get(f"/review/?batch={foreign.pk}")
    assert response.status_code == 200
    assert "Theirs" not in response.content.decode()


def _big_batch(account, *, hits: int, per_hit: int) -> Batch:
    """A launched batch's mirror, written directly: HITs, answered assignments, workers."""
    project = Project.objects.create(
        requester=account, name="Big", template="x", title="t", description="d", reward=1
    )
    batch = Batch.objects.create(
        project=project, requester=account, name="Big batch", hit_type_mturk_id="HTBIG"
    )
    hit_type = HITType.objects.create(
        requester=account,
        mturk_id="HTBIG",
        title="Label",
        reward=Decimal("0.10"),
        assignment_duration=600,
        auto_approval_delay=86400,
    )
    HIT.objects.bulk_create(
        HIT(
            requester=account,
            mturk_id=f"HIT{i:06d}",
            hit_type=hit_type,
            hit_type_mturk_id="HTBIG",
            title="Label",
            status="Reviewable",
            max_assignments=per_hit,
            completed=per_hit,
            reward=Decimal("0.10"),
            annotation=f"mturkdash:{batch.launch_key}:{i} pilot",
            batch_key=batch.launch_key,
        )
        for i in range(hits)
    )
    now = timezone.now()
    workers = [f"AWORKER{w:07d}" for w in range(40)]
    assignments = []
    for n, hit in enumerate(HIT.objects.filter(requester=account).order_by("pk")):
        for k in range(per_hit):
            assignments.append(
                Assignment(
                    requester=account,
                    mturk_id=f"A{n:06d}{k:02d}",
                    hit=hit,
                    batch_key=batch.launch_key,
                    worker_id=workers[(n + k) % len(workers)],
                    status=AssignmentStatus.SUBMITTED,
                    accept_time=now - timedelta(minutes=10),
                    submit_time=now - timedelta(minutes=9, seconds=n),
                    auto_approval_time=now + timedelta(hours=(n % 48)),
                    answers={"label": ["cat", "dog"][k % 2], "comment": "fine"},
                    agreement=0.5 + (k % 2) / 2,
                )
            )
    Assignment.objects.bulk_create(assignments)
    Worker.objects.bulk_create(
        Worker(requester=account, worker_id=w, submitted=10, approved=5, rejected=1)
        for w in workers
    )
    FeedbackReason.objects.create(requester=account, text="Answer does not match the image")
    FeedbackReason.objects.create(requester=account, text="Empty answer")
    return batch


@pytest.mark.django_db
def test_a_page_of_a_batchs_queue_costs_the_same_few_queries_whatever_the_page(
    login, bob, account, django_assert_max_num_queries
):
    batch = _big_batch(account, hits=200, per_hit=3)  # 600 assignments: 12 pages of 50
    client = login(bob)
    counts = []
    for number in (1, 7, 12):
        with CaptureQueriesContext(connection) as queries:
            with django_assert_max_num_queries(15):
                page = client.get(f"/review/?batch={batch.pk}&page={number}").content.decode()
        assert page.count("data-assignment") == 50
        assert f"Page {number} of 12" in page
        assert "agrees with the majority" in page and "5 approved, 1 rejected of 10" in page
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2], counts


@pytest.mark.django_db
def test_a_batch_that_is_not_a_choice_is_said_and_approves_nothing(login, bob, account):
    client = login(bob)
    page = client.get("/review/?batch=99999").content.decode()
    assert "This filter is not valid" in page
    response = client.post("/review/bulk/", {"scope": "all", "action": "approve", "batch": "99999"})
    assert response.status_code == 302
    assert not BulkReview.objects.exists()
