"""Excluding a batch's workers from future studies in one click from the batch page, with real
services against the local MTurk: the scores exist there afterwards, later submitters join."""

from __future__ import annotations

import re

import pytest

from apps.qualifications.models import GroupAttachment, QualificationType
from apps.qualifications.services import qualification_type_create
from apps.requesters.models import Membership
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project, rows_csv
from tests.helpers import new_worker_id

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager():
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _launch(client, batch) -> None:
    page = client.get(f"/batches/{batch.pk}/launch/").content.decode()
    total = re.search(r'name="confirm_total" value="([0-9.]+)"', page).group(1)
    client.post(f"/batches/{batch.pk}/launch/", {"confirm_total": total})


def _worked(client, emulator, account, batch, workers: list[str]) -> None:
    for row, worker in zip(batch.rows.order_by("index"), workers, strict=False):
        emulator.complete(worker, row.hit_mturk_id, {"label": "cat"})
    requester_sync(requester=account)


def _held_at_mturk(account_mturk, qtype: QualificationType) -> set[str]:
    listed = account_mturk.list_workers_with_qualification_type(
        QualificationTypeId=qtype.mturk_id, MaxResults=100
    )["Qualifications"]
    return {q["WorkerId"] for q in listed if q["Status"] == "Granted"}


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def launched(login, carol, local_account, emulator, eager):
    project = make_project(local_account, carol, max_assignments=2)
    batch = make_batch(project, carol, rows_csv(3), name="Pilot <b>one</b>")
    client = login(carol)
    _launch(client, batch)
    workers = sorted(new_worker_id() for _ in range(3))
    _worked(client, emulator, local_account, batch, workers)
    return batch, workers


def test_one_post_makes_the_group_adds_every_worker_and_attaches_it(
    login, alice, carol, local_account, account_mturk, emulator, eager, launched
):
    batch, workers = launched
    client = login(carol)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "Exclude these workers from future studies" in page
    assert "qualifications/new/?group=exclude" not in page  # no longer the generic form

    response = client.post(f"/qualifications/batches/{batch.pk}/exclude/", follow=True)
    name = f"Worked on Pilot <b>one</b> (batch {batch.pk})"
    assert _messages(response)[-1] == (
        f"3 workers added to {name}; whoever submits to Pilot <b>one</b> from now on joins it too."
    )
    html = response.content.decode()
    assert "3 workers added to Worked on Pilot &lt;b&gt;one&lt;/b&gt;" in html  # escaped
    assert response.redirect_chain[-1][0] == f"/batches/{batch.pk}/#exclude"
    qtype = QualificationType.objects.get(requester=local_account, name=name)
    assert qtype.group == "exclude"
    assert _held_at_mturk(account_mturk, qtype) == set(workers)
    assert GroupAttachment.objects.filter(qualification_type=qtype, batch=batch).exists()

    # Clicked again: the batch's own group is reused, nobody is granted twice over.
    response = client.post(f"/qualifications/batches/{batch.pk}/exclude/", follow=True)
    assert _messages(response)[-1].startswith(f"3 workers added to {name};")
    assert QualificationType.objects.filter(requester=local_account, group="exclude").count() == 1

    # Whoever submits later joins the group through the attachment (granted for the account
    # by its admin's membership, alice's here).
    late = new_worker_id()
    emulator.complete(late, batch.rows.get(index=0).hit_mturk_id, {"label": "dog"})
    requester_sync(requester=local_account)
    assert _held_at_mturk(account_mturk, qtype) == set(workers) | {late}


def test_an_existing_exclusion_group_can_be_chosen(
    login, carol, local_account, account_mturk, emulator, eager, launched
):
    batch, workers = launched
    membership = Membership.objects.get(user=carol, requester=local_account)
    chosen = qualification_type_create(
        membership=membership,
        actor=carol,
        data={"name": "Past labelling studies", "description": "Worked on a labelling study."},
        group="exclude",
    )
    client = login(carol)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert f'<option value="{chosen.pk}">Past labelling studies</option>' in page

    response = client.post(
        f"/qualifications/batches/{batch.pk}/exclude/", {"group": chosen.pk}, follow=True
    )
    assert _messages(response)[-1].startswith("3 workers added to Past labelling studies;")
    assert _held_at_mturk(account_mturk, chosen) == set(workers)
    assert not QualificationType.objects.filter(name__startswith="Worked on").exists()


def test_another_accounts_group_cannot_be_chosen(
    login, carol, local_account, other_account, emulator, eager, launched
):
    batch, _ = launched
    foreign = QualificationType.objects.create(
        requester=other_account, mturk_id="3FOREIGNGROUP0000000000000000", name="Theirs",
        group="exclude",
    )  # fmt: skip
    response = login(carol).post(
        f"/qualifications/batches/{batch.pk}/exclude/", {"group": foreign.pk}, follow=True
    )
    assert _messages(response)[-1] == "Choose one of this account's exclusion groups."
    assert not GroupAttachment.objects.exists()
    assert not foreign.scores.exists()


def test_a_batch_never_launched_has_nobody_to_exclude(login, carol, project):
    batch = make_batch(project, carol, rows_csv(1))
    page = login(carol).get(f"/batches/{batch.pk}/").content.decode()
    assert "Exclude these workers" not in page
    response = login(carol).post(f"/qualifications/batches/{batch.pk}/exclude/", follow=True)
    assert _messages(response)[-1] == "Nobody worked on this batch yet: it was never launched."
    assert not QualificationType.objects.exists()


def test_lower_roles_are_refused_and_see_no_button_outsiders_get_404(
    login, bob, victor, charlie, local_account, emulator, eager, launched
):
    batch, _ = launched
    for user in (bob, victor):
        client = login(user)
        page = client.get(f"/batches/{batch.pk}/").content.decode()
        assert "Exclude these workers" not in page
        assert "Message these workers" not in page
        assert client.post(f"/qualifications/batches/{batch.pk}/exclude/").status_code == 403
    assert login(charlie).post(f"/qualifications/batches/{batch.pk}/exclude/").status_code == 404
    assert not QualificationType.objects.exists()


def test_the_page_links_to_messaging_these_workers(login, carol, alice, launched):
    batch, _ = launched
    for user in (carol, alice):
        page = login(user).get(f"/batches/{batch.pk}/").content.decode()
        assert f'href="/workers/message/?batch={batch.pk}">Message these workers</a>' in page
