"""Exclusion groups that fill themselves from a batch, and keep those workers out of the next."""

from __future__ import annotations

import pytest

from apps.batches import services as batch_services
from apps.hits.models import HITType
from apps.qualifications import services
from apps.qualifications.models import GroupAttachment, QualificationScore
from apps.requesters.models import Membership
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project
from tests.fixtures.emulator import EmulatorControlError
from tests.helpers import create_hit, new_worker_id, work

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager():
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_a_group_attached_to_a_batch_takes_in_whoever_submits(
    login, alice, carol, local_account, account_mturk, emulator, eager, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    membership = Membership.objects.select_related("requester").get(user=carol)
    project = make_project(local_account, carol)
    batch = make_batch(
        project, carol, "image_url,caption\nhttps://x/1.png,one\nhttps://x/2.png,two\n"
    )
    batch_services.batch_launch(membership=membership, actor=carol, batch=batch)
    group = services.qualification_type_create(
        membership=membership,
        actor=carol,
        data={"name": "Did study 1", "description": "d", "status": "Active"},
        group="exclude",
    )
    response = login(carol).post(
        f"/qualifications/{group.pk}/group/", {"batch": batch.pk, "attach": "on"}, follow=True
    )
    assert "from now on joins Did study 1" in response.content.decode()
    assert GroupAttachment.objects.filter(qualification_type=group, batch=batch).exists()

    batch.refresh_from_db()
    veteran = new_worker_id()
    first_hit = batch.rows.get(index=0).hit_mturk_id
    assignment = emulator.accept(veteran, first_hit)
    emulator.submit(assignment, answers={"label": "cat"})
    requester_sync(requester=local_account)

    assert QualificationScore.objects.filter(
        qualification_type=group, worker_id=veteran, status="Granted"
    ).exists()
    listed = account_mturk.list_workers_with_qualification_type(QualificationTypeId=group.mturk_id)[
        "Qualifications"
    ]
    assert [q["WorkerId"] for q in listed] == [veteran]

    study_2 = make_project(
        local_account,
        carol,
        name="Study 2",
        qualification_requirements=[services.group_requirement(group)],
    )
    batch_2 = make_batch(
        study_2, carol, "image_url,caption\nhttps://x/9.png,nine\n", name="Study 2 batch"
    )
    batch_services.batch_launch(membership=membership, actor=carol, batch=batch_2)
    batch_2.refresh_from_db()
    new_hit = batch_2.rows.get(index=0).hit_mturk_id
    with pytest.raises(EmulatorControlError):
        emulator.accept(veteran, new_hit)
    assert emulator.accept(new_worker_id(), new_hit)


def test_an_inclusion_list_batch_takes_its_members_and_refuses_outsiders(
    carol, local_account, emulator, eager, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    membership = Membership.objects.select_related("requester").get(user=carol)
    panel = services.qualification_type_create(
        membership=membership,
        actor=carol,
        data={"name": "Trusted panel", "description": "d", "status": "Active"},
        group="include",
    )
    member = new_worker_id()
    emulator.set_worker(member)
    assert (
        services.group_add_workers(
            membership=membership, actor=carol, qtype=panel, worker_ids=[member]
        ).applied
        == 1
    )
    project = make_project(
        local_account,
        carol,
        name="Panel study",
        max_assignments=2,
        qualification_requirements=[services.group_requirement(panel)],
    )
    batch = make_batch(project, carol, "image_url,caption\nhttps://x/1.png,one\n")
    batch_services.batch_launch(membership=membership, actor=carol, batch=batch)
    batch.refresh_from_db()
    hit_id = batch.rows.get(index=0).hit_mturk_id
    with pytest.raises(EmulatorControlError):
        emulator.accept(new_worker_id(), hit_id)
    assert emulator.accept(member, hit_id)


def test_workers_join_a_group_by_hit_type_or_by_list_and_bad_ids_add_nobody(
    login, carol, local_account, account_mturk, emulator
):
    membership = Membership.objects.select_related("requester").get(user=carol)
    group = services.qualification_type_create(
        membership=membership,
        actor=carol,
        data={"name": "Seen before", "description": "d", "status": "Active"},
        group="exclude",
    )
    hit = create_hit(account_mturk, MaxAssignments=2)
    _, veteran = work(emulator, hit["HITId"])
    requester_sync(requester=local_account)
    listed = new_worker_id()
    emulator.set_worker(listed)
    client = login(carol)

    page = client.post(
        f"/qualifications/{group.pk}/group/",
        {"workers": f"{listed}, not-a-worker"},
        follow=True,
    ).content.decode()
    assert "Not worker ids (like A1B2C3D4E5F6G7): not-a-worker. Nobody was added." in page
    assert not QualificationScore.objects.filter(qualification_type=group).exists()

    hit_type = HITType.objects.get(mturk_id=hit["HITTypeId"])
    page = client.post(
        f"/qualifications/{group.pk}/group/",
        {"workers": listed.lower(), "hit_type": hit_type.pk},
        follow=True,
    ).content.decode()
    assert "2 workers in Seen before." in page
    remote = account_mturk.list_workers_with_qualification_type(QualificationTypeId=group.mturk_id)
    assert {q["WorkerId"] for q in remote["Qualifications"]} == {veteran, listed}


def test_a_new_group_made_for_a_batch_opens_with_the_batch_chosen(
    login, carol, local_account, settings, tmp_path
):
    """(The batch page itself excludes in one click: tests/batches/test_batch_page_exclude.py.)"""
    from apps.batches.models import Batch
    from apps.qualifications.models import QualificationType

    settings.VAR_DIR = tmp_path
    batch = make_batch(make_project(local_account, carol), carol, "image_url,caption\nx,one\n")
    Batch.objects.filter(pk=batch.pk).update(hit_type_mturk_id="3JOURNEYHITTYPE")

    client = login(carol)
    response = client.post(
        f"/qualifications/new/?group=exclude&batch={batch.pk}",
        {
            "name": "Did the pilot",
            "description": "Took part in the pilot",
            "status": "Active",
            "group": "exclude",
        },
    )
    group = QualificationType.objects.get(name="Did the pilot")
    assert group.group == "exclude"
    assert response["Location"] == f"/qualifications/{group.pk}/?batch={batch.pk}"
    detail = client.get(response["Location"]).content.decode()
    assert f'<option value="{batch.pk}" selected>' in detail
    assert 'name="attach" id="id_attach" checked' in detail
