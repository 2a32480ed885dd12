"""Exclusion groups that fill themselves from a batch, and keep those workers out of the next."""

from __future__ import annotations

import pytest

from apps.batches import services as batch_services
from apps.hits.sync import requester_sync
from apps.qualifications import services
from apps.qualifications.models import GroupAttachment, QualificationScore
from apps.requesters.models import Membership
from tests.batches.conftest import make_batch, make_project
from tests.fixtures.emulator import EmulatorControlError
from tests.helpers import new_worker_id

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
