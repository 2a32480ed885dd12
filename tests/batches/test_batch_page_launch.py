"""Asking before spending: the launch button says the amount, and one confirmation states the
environment, rewards + fee = total and the balance before anything is spent."""

from __future__ import annotations

import re

import pytest

from apps.audit.models import AuditEvent
from apps.batches.models import Batch, BatchStatus
from tests.batches.conftest import make_batch, make_project, rows_csv

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager():
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _text(html: str) -> str:
    """The page as a person reads it: tags out, spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_button_says_the_amount_and_the_confirmation_states_environment_and_total(
    login, carol, local_account, emulator
):
    # 40 HITs x 3 assignments x $0.30 = $36.00 + 20% fee $7.20 = $43.20
    project = make_project(local_account, carol, reward="0.30", max_assignments=3)
    batch = make_batch(project, carol, rows_csv(40))
    client = login(carol)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "Launch 40 HITs for $43.20" in page
    assert f'<form method="get" action="/batches/{batch.pk}/launch/"' in page

    confirm = client.get(f"/batches/{batch.pk}/launch/")
    assert confirm.status_code == 200
    text = _text(confirm.content.decode())
    assert "40 HITs for $43.20 on Lab account" in text
    assert "Environment: Local MTurk — the local MTurk: simulated workers" in text
    assert "Rewards $36.00 + MTurk fee $7.20 = $43.20 , from a balance of $10,000.00" in text
    assert "($9,956.80 left once every assignment is approved)" in text
    assert "Launch 40 HITs for $43.20" in text
    assert 'name="confirm_total" value="43.20"' in confirm.content.decode()
    assert 'name="confirm_name"' not in confirm.content.decode()  # not production
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.VALIDATED  # nothing spent yet


def test_the_sandbox_is_named_as_such(login, carol, local_account, emulator):
    local_account.environment = "sandbox"
    local_account.endpoint_url = local_account.endpoint_url  # still the test's local MTurk
    local_account.save()
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(1))
    text = _text(login(carol).get(f"/batches/{batch.pk}/launch/").content.decode())
    assert "Environment: Sandbox — MTurk's sandbox: test workers, no real money is paid." in text


def test_production_asks_once_for_the_name_on_the_confirmation_and_launches(
    login, carol, local_account, emulator, eager
):
    local_account.environment = "production"
    local_account.save()
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(2))
    client = login(carol)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "Launch 2 HITs for $1.20" in page and "confirm_name" not in page
    confirm = client.get(f"/batches/{batch.pk}/launch/").content.decode()
    text = _text(confirm)
    assert "Environment: Production — real workers do the work and real money is paid" in text
    assert "Production: type Lab account to launch" in text
    assert confirm.count('name="confirm_name"') == 1

    client.post(
        f"/batches/{batch.pk}/launch/",
        {"confirm_total": "1.20", "confirm_name": "Lab account"},
    )
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.LAUNCHED
    assert AuditEvent.objects.filter(action="batch.launch").count() == 1


def test_a_launch_is_refused_when_the_cost_changed_since_it_was_confirmed(
    login, carol, local_account, emulator, eager
):
    project = make_project(local_account, carol)
    batch = make_batch(project, carol, rows_csv(2))
    client = login(carol)
    assert 'value="1.20"' in client.get(f"/batches/{batch.pk}/launch/").content.decode()
    project.reward = "2.00"  # changed in another tab after the confirmation was shown
    project.save()

    response = client.post(f"/batches/{batch.pk}/launch/", {"confirm_total": "1.20"}, follow=True)
    text = _text(response.content.decode())
    assert "The cost changed since it was confirmed ($1.20): it is now $4.80." in text
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.VALIDATED
    assert not AuditEvent.objects.filter(action="batch.launch").exists()


@pytest.mark.parametrize("posted", [{}, {"confirm_total": "lots"}, {"confirm_total": "-1"}])
def test_a_launch_without_the_confirmed_total_only_shows_the_confirmation(
    login, carol, local_account, emulator, posted
):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(2))
    response = login(carol).post(f"/batches/{batch.pk}/launch/", posted)
    assert response.status_code == 200
    assert "Confirm the total from this page to launch." in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.VALIDATED


def test_the_confirmation_is_refused_below_manager_and_hidden_from_outsiders(
    login, victor, bob, charlie, carol, project
):
    batch = make_batch(project, carol, rows_csv(1))
    for user in (victor, bob):
        assert login(user).get(f"/batches/{batch.pk}/launch/").status_code == 403
    assert login(charlie).get(f"/batches/{batch.pk}/launch/").status_code == 404


def test_a_launched_batch_has_no_confirmation_to_show(login, carol, project):
    batch = make_batch(project, carol, rows_csv(1))
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.LAUNCHED)
    response = login(carol).get(f"/batches/{batch.pk}/launch/", follow=True)
    assert "A batch that is launched cannot launch." in response.content.decode()
