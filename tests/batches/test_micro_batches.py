"""Micro-batches and per-worker caps: rows asking for 10 or more assignments published as HITs of
at most 9 that a worker takes one of, and at most M assignments of a batch per worker."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.batches import selectors, services, splitting
from apps.batches.models import BatchRow, BatchStatus
from apps.hits.models import HITType
from apps.qualifications import guards
from apps.qualifications.models import BatchGuard, GuardKind, QualificationScore
from apps.requesters.models import Membership
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project
from tests.fixtures.emulator import EmulatorControlError
from tests.helpers import new_worker_id

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(monkeypatch):
    """Launch tasks are recorded instead of sent: the test drives the work itself."""
    from apps.batches import tasks

    sent = []
    for name in ("batch_launch_task", "batch_chunk_task", "batch_action_task"):
        monkeypatch.setattr(getattr(tasks, name), "delay", lambda *a, _n=name: sent.append(_n))
    return sent


@pytest.fixture
def eager():
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _membership(user) -> Membership:
    return Membership.objects.select_related("requester").get(user=user)


def _rows_csv(n: int) -> str:
    return "image_url,caption\n" + "".join(f"https://x/{i}.png,row {i}\n" for i in range(n))


def _launch(project, carol, rows: int, **batch_fields):
    batch = make_batch(project, carol, _rows_csv(rows))
    for name, value in batch_fields.items():
        setattr(batch, name, value)
    if batch_fields:
        batch.save(update_fields=list(batch_fields))
    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED, batch.error
    return batch


def _requires(account_mturk, hit_id: str) -> list[dict]:
    return account_mturk.get_hit(HITId=hit_id)["HIT"]["QualificationRequirements"]


def _work(emulator, worker: str, hit_id: str) -> str:
    assignment = emulator.accept(worker, hit_id)
    emulator.submit(assignment, answers={"label": "cat"})
    return assignment


def test_it_splits_a_row_into_as_few_even_parts_of_at_most_nine_as_hold_it():
    assert splitting.part_sizes(300) == [9] * 28 + [8] * 6
    assert sum(splitting.part_sizes(300)) == 300 and len(splitting.part_sizes(300)) == 34
    assert splitting.part_sizes(10) == [5, 5]
    assert splitting.part_sizes(19) == [7, 6, 6]
    assert splitting.part_sizes(9) == [9]
    assert splitting.part_sizes(1) == [1]
    assert splitting.part_sizes(300, split=False) == [300]
    for n in range(10, 200):
        sizes = splitting.part_sizes(n)
        assert sum(sizes) == n and max(sizes) <= 9 and max(sizes) - min(sizes) <= 1
        assert len(sizes) == -(-n // 9)


def test_it_shows_the_saving_of_hits_of_nine_on_the_batch_page(
    login, carol, local_account, emulator
):
    project = make_project(local_account, carol, reward="1.00", max_assignments=300)
    batch = make_batch(project, carol, _rows_csv(1))
    estimate = services.batch_estimate(batch)
    assert (estimate.hits, estimate.assignments, estimate.fee_percent) == (34, 300, 20)
    assert estimate.total == Decimal("360.00")
    assert estimate.unsplit.total == Decimal("420.00") and estimate.saving == Decimal("60.00")
    page = login(carol).get(f"/batches/{batch.pk}/").content.decode()
    assert "1 row \u00d7 300 = 300, as 34 HITs of at most 9" in page
    assert "MTurk fee (20%)" in page
    assert "One HIT per row would cost $420.00 ($120.00 fee): this saves $60.00." in page
    assert "Launch 34 HITs for $360.00" in page
    assert "fee doubles" not in page

    project.split_assignments = False
    project.save()
    page = login(carol).get(f"/batches/{batch.pk}/").content.decode()
    assert "1 HITs \u00d7 300 = 300" in page and "MTurk fee (40%)" in page
    assert "this saves" not in page


def test_a_study_of_20_is_three_hits_a_worker_takes_only_one_of(
    carol, alice, local_account, account_mturk, emulator, eager, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    project = make_project(local_account, carol, reward="0.10", max_assignments=1)
    batch = _launch(project, carol, 1, assignments_per_row=20)

    parts = list(batch.rows.order_by("index"))
    assert [(r.part, r.assignments, r.source_row) for r in parts] == [
        (1, 7, 2),
        (2, 7, 2),
        (3, 6, 2),
    ]
    hits = [account_mturk.get_hit(HITId=r.hit_mturk_id)["HIT"] for r in parts]
    assert [h["MaxAssignments"] for h in hits] == [7, 7, 6]
    guard = BatchGuard.objects.get(batch=batch)
    assert (guard.kind, guard.row_index, guard.limit) == (GuardKind.SIBLINGS, 2, 1)
    assert guard.qualification_type.group == "guard"
    # One split row: its guard is on the batch's own HIT type.
    assert {h["HITTypeId"] for h in hits} == {batch.hit_type_mturk_id}
    assert [
        (r["QualificationTypeId"], r["Comparator"], r["ActionsGuarded"])
        for r in _requires(account_mturk, parts[0].hit_mturk_id)
    ] == [(guard.qualification_type.mturk_id, "DoesNotExist", "DiscoverPreviewAndAccept")]
    audit = AuditEvent.objects.get(action="batch.launch", target_id=str(batch.pk))
    assert audit.details["hits"] == 3
    assert (audit.amount, audit.fee) == (Decimal("2.00"), Decimal("0.40"))

    participant = new_worker_id()
    _work(emulator, participant, parts[0].hit_mturk_id)
    requester_sync(requester=local_account)
    assert QualificationScore.objects.filter(
        qualification_type=guard.qualification_type, worker_id=participant, status="Granted"
    ).exists()
    for sibling in parts[1:]:
        with pytest.raises(EmulatorControlError):
            emulator.accept(participant, sibling.hit_mturk_id)
    assert emulator.accept(new_worker_id(), parts[1].hit_mturk_id)

    # The batch page counts the three HITs, and the submitted work at the 20% fee.
    progress = selectors.launch_progress(batch)
    assert (progress.total, progress.created) == (3, 3)
    counters = selectors.batch_counters(batch)
    assert (counters.target, counters.submitted) == (20, 1)
    assert counters.committed == Decimal("0.12")


def test_several_split_rows_each_keep_their_own_siblings_apart(
    carol, alice, local_account, account_mturk, emulator, eager, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    project = make_project(local_account, carol, reward="0.05", max_assignments=12)
    batch = _launch(project, carol, 2)

    rows = list(batch.rows.order_by("index"))
    assert [(r.source_row, r.part, r.assignments) for r in rows] == [
        (2, 1, 6),
        (2, 2, 6),
        (3, 1, 6),
        (3, 2, 6),
    ]
    assert rows[0].hit_type_mturk_id == rows[1].hit_type_mturk_id
    assert rows[2].hit_type_mturk_id == rows[3].hit_type_mturk_id
    assert rows[0].hit_type_mturk_id != rows[2].hit_type_mturk_id
    assert HITType.objects.filter(mturk_id=rows[2].hit_type_mturk_id).exists()
    assert BatchGuard.objects.filter(batch=batch, kind=GuardKind.SIBLINGS).count() == 2

    worker = new_worker_id()
    _work(emulator, worker, rows[0].hit_mturk_id)
    requester_sync(requester=local_account)
    with pytest.raises(EmulatorControlError):
        emulator.accept(worker, rows[1].hit_mturk_id)
    # The other row is another task: the same worker may take it.
    _work(emulator, worker, rows[2].hit_mturk_id)


def test_a_worker_reaching_the_cap_is_kept_out_of_the_rest_of_the_batch(
    carol, alice, local_account, account_mturk, emulator, eager, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    project = make_project(local_account, carol, reward="0.05", worker_cap=2)
    batch = _launch(project, carol, 4)
    hit_ids = list(batch.rows.order_by("index").values_list("hit_mturk_id", flat=True))
    cap = BatchGuard.objects.get(batch=batch, kind=GuardKind.CAP)
    assert cap.limit == 2

    busy = new_worker_id()
    _work(emulator, busy, hit_ids[0])
    requester_sync(requester=local_account)
    # One of two: not capped yet.
    assert not QualificationScore.objects.filter(qualification_type=cap.qualification_type).exists()
    _work(emulator, busy, hit_ids[1])
    requester_sync(requester=local_account)
    score = QualificationScore.objects.get(qualification_type=cap.qualification_type)
    assert (score.worker_id, score.value) == (busy, 2)
    with pytest.raises(EmulatorControlError):
        emulator.accept(busy, hit_ids[2])
    assert emulator.accept(new_worker_id(), hit_ids[2])


def test_a_guard_qualification_says_which_batch_keeps_it(
    login, carol, alice, local_account, emulator, eager, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    project = make_project(local_account, carol, reward="0.05", worker_cap=2)
    batch = _launch(project, carol, 2)
    cap = BatchGuard.objects.get(batch=batch)
    client = login(carol)
    page = client.get(f"/qualifications/{cap.qualification_type.pk}/").content.decode()
    assert "kept by a batch" in page and "inclusion list" not in page
    assert "Kept by</dt><dd><a href=" in page and "its per-worker cap" in page
    assert "Add workers to the group" not in page and "Grant a score" in page
    assert "kept by a batch" in client.get("/qualifications/").content.decode()


def test_a_lost_grant_is_made_by_reconciliation_and_a_repeated_one_changes_nothing(
    carol, alice, local_account, account_mturk, emulator, eager, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    project = make_project(local_account, carol, reward="0.05", worker_cap=1)
    batch = _launch(project, carol, 2)
    hit_ids = list(batch.rows.order_by("index").values_list("hit_mturk_id", flat=True))
    cap = BatchGuard.objects.get(batch=batch)
    worker = new_worker_id()
    assignment_id = _work(emulator, worker, hit_ids[0])
    requester_sync(requester=local_account)
    assert QualificationScore.objects.filter(qualification_type=cap.qualification_type).exists()

    # The grant is lost (at MTurk and here): reconciliation grants it again.
    account_mturk.disassociate_qualification_from_worker(
        QualificationTypeId=cap.qualification_type.mturk_id, WorkerId=worker
    )
    QualificationScore.objects.all().delete()
    assert emulator.accept(worker, hit_ids[1])  # nothing stops them now
    assert guards.guards_reconcile(requester=local_account) == 1
    listed = account_mturk.list_workers_with_qualification_type(
        QualificationTypeId=cap.qualification_type.mturk_id
    )["Qualifications"]
    assert [q["WorkerId"] for q in listed] == [worker]

    # Duplicate and late events for the same work grant nothing more.
    from apps.hits.models import Assignment

    pk = Assignment.objects.get(mturk_id=assignment_id).pk
    assert guards.guards_grant_now([pk]) == 0
    assert guards.guards_grant_now([pk, pk]) == 0
    assert guards.guards_reconcile(requester=local_account) == 0
    grants = AuditEvent.objects.filter(action="qualification.grant", target_id=worker)
    assert grants.count() == 2


def test_a_relaunch_after_a_killed_worker_makes_no_second_guard(
    carol, alice, local_account, account_mturk, emulator, eager, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    project = make_project(local_account, carol, reward="0.05", max_assignments=10, worker_cap=3)
    batch = _launch(project, carol, 1)
    from apps.batches import launch

    gateway = launch.requester_gateway(local_account)
    batch.hit_type_mturk_id = ""
    launch._hit_types_ensure(batch, gateway)
    assert BatchGuard.objects.filter(batch=batch).count() == 2
    names = [
        q["Name"]
        for q in account_mturk.list_qualification_types(
            MustBeRequestable=False, MustBeOwnedByCaller=True
        )["QualificationTypes"]
    ]
    assert len(names) == len(set(names)) == 2

    # A guard row lost after its type was made: the type is found by its name, not made twice.
    BatchGuard.objects.filter(batch=batch, kind=GuardKind.CAP).delete()
    again = guards.guard_ensure(batch=batch, kind=GuardKind.CAP, gateway=gateway, limit=3)
    assert again.qualification_type.mturk_id in {
        q["QualificationTypeId"]
        for q in account_mturk.list_qualification_types(
            MustBeRequestable=False, MustBeOwnedByCaller=True
        )["QualificationTypes"]
    }
    assert (
        len(
            account_mturk.list_qualification_types(
                MustBeRequestable=False, MustBeOwnedByCaller=True
            )["QualificationTypes"]
        )
        == 2
    )


def test_a_cancelled_split_launch_gives_back_each_uncreated_part_at_its_size(
    carol, local_account, emulator, queued, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    project = make_project(local_account, carol, reward="1.00", max_assignments=1)
    batch = make_batch(project, carol, _rows_csv(1))
    batch.assignments_per_row = 19
    batch.save(update_fields=["assignments_per_row"])
    services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)
    batch.refresh_from_db()
    assert list(batch.rows.values_list("assignments", flat=True)) == [7, 6, 6]
    launch_entry = AuditEvent.objects.get(action="batch.launch")
    assert (launch_entry.amount, launch_entry.fee) == (Decimal("19.00"), Decimal("3.80"))
    remaining = services.batch_estimate(batch, remaining_only=True)
    assert (remaining.hits, remaining.assignments, remaining.total) == (3, 19, Decimal("22.80"))

    services.batch_cancel(membership=_membership(carol), actor=carol, batch=batch, expire=False)
    from apps.batches.launch import batch_finish_if_done

    batch_finish_if_done(batch.pk)
    back = AuditEvent.objects.get(action="batch.release")
    assert (back.amount, back.fee) == (Decimal("-19.00"), Decimal("-3.80"))
    assert back.details["rows"] == 3


def test_a_batch_with_too_many_rows_to_split_is_refused_with_the_way_out(
    carol, local_account, emulator
):
    project = make_project(local_account, carol, max_assignments=10)
    batch = make_batch(project, carol, _rows_csv(splitting.MAX_SPLIT_ROWS + 1))
    with pytest.raises(ValidationError, match="a batch can split at most 100 rows"):
        services.batch_launch(membership=_membership(carol), actor=carol, batch=batch)
    assert not BatchRow.objects.filter(batch=batch, part__gt=0).exists()


def test_the_parts_of_a_split_row_read_as_one_item_in_the_results(
    carol, alice, local_account, emulator, eager, settings, tmp_path
):
    from apps.review.quality.aggregate import batch_aggregate

    settings.VAR_DIR = tmp_path
    project = make_project(local_account, carol, reward="0.05", max_assignments=10)
    batch = _launch(project, carol, 2)
    rows = list(batch.rows.order_by("index"))
    assert [r.part for r in rows] == [1, 2, 1, 2]
    for row in rows[:2]:
        for label in ["cat", "cat", "cat", "dog", "cat"]:
            assignment = emulator.accept(new_worker_id(), row.hit_mturk_id)
            emulator.submit(assignment, answers={"label": label})
    requester_sync(requester=local_account)

    aggregate = batch_aggregate(batch, method="majority")
    assert set(aggregate.items) == {rows[0].hit_mturk_id, rows[2].hit_mturk_id}
    first = aggregate.items[rows[0].hit_mturk_id]["label"]
    assert (first.value, first.answers) == ("cat", 10)
    assert aggregate.items[rows[2].hit_mturk_id]["label"].answers == 0


def test_the_batch_page_says_who_may_take_it(
    login, carol, alice, local_account, emulator, eager, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    project = make_project(local_account, carol, reward="0.10", worker_cap=5)
    batch = _launch(project, carol, 1, assignments_per_row=20)
    client = login(carol)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "The row asks for 20 assignments: it is published as 3 HITs of at most 9" in page
    assert "0 workers have taken one so far" in page
    assert "At most 5 assignments of this batch per worker" in page
    assert "0 workers have reached it" in page

    _work(emulator, new_worker_id(), batch.rows.get(part=1).hit_mturk_id)
    requester_sync(requester=local_account)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "1 worker has taken one so far and no longer sees the others" in page
    # Part numbers beside the spreadsheet row in the HITs table.
    assert '2 <span class="muted">part 3</span>' in page

    plain = make_project(local_account, carol, name="Plain", reward="0.10")
    other = _launch(plain, carol, 1)
    assert 'id="guards"' not in client.get(f"/batches/{other.pk}/").content.decode()
