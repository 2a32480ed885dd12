"""The batch page stays live: its progress fragment (status, counters, chart) polls while the
batch can still change by itself and answers without its trigger once nothing can."""

from __future__ import annotations

import re

import pytest

from apps.batches.models import Batch, BatchStatus
from apps.hits.models import HIT, Assignment
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project, rows_csv
from tests.factories import PASSWORD
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


def _fragment(client, batch) -> str:
    response = client.get(f"/batches/{batch.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def _section(fragment: str) -> str:
    """The opening tag of the polled section."""
    return re.search(r'<section id="progress"[^>]*>', fragment).group(0)


def test_it_keeps_polling_while_hits_are_open_and_stops_once_every_assignment_is_decided(
    login, carol, local_account, emulator, eager
):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(2))
    client = login(carol)
    _launch(client, batch)
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.LAUNCHED

    # launched, nobody has worked yet: it polls (this is what used to stay at "0 submitted")
    assert 'hx-trigger="every 5s"' in _section(_fragment(client, batch))

    assignments = [
        emulator.complete(new_worker_id(), row.hit_mturk_id, {"label": "cat"})
        for row in batch.rows.order_by("index")
    ]
    requester_sync(requester=local_account)
    fragment = _fragment(client, batch)
    # submitted, waiting for a decision: still polling, the counters show the work
    assert "hx-trigger" in _section(fragment)
    assert '<td class="num">2</td><td class="num">2</td><td class="num">0</td>' in fragment
    assert '<svg class="chart"' in fragment and "UTC: 2</title></rect>" in fragment

    for assignment in Assignment.objects.filter(mturk_id__in=assignments):
        assert client.post(f"/review/{assignment.pk}/approve/").status_code in (200, 302)
    fragment = _fragment(client, batch)
    # every assignment in and decided: the fragment answers without its trigger
    assert "hx-trigger" not in _section(fragment)
    assert '<td class="num">2</td><td class="num">0</td><td class="num">2</td>' in fragment
    assert "Spent $1.20 of the $1.20 estimate" in fragment


def test_it_stops_once_the_open_hits_have_expired(
    login, carol, local_account, account_mturk, emulator, eager
):
    batch = make_batch(make_project(local_account, carol, max_assignments=3), carol, rows_csv(1))
    client = login(carol)
    _launch(client, batch)
    assert "hx-trigger" in _section(_fragment(client, batch))

    client.post(f"/batches/{batch.pk}/actions/", {"kind": "expire"})
    requester_sync(requester=local_account)
    fragment = _fragment(client, batch)
    # three assignments still "available" on an expired HIT can never be taken
    assert '<td class="num">3</td></tr>' in fragment
    assert "hx-trigger" not in _section(fragment)


def test_it_keeps_polling_while_work_mturk_counts_is_not_in_the_mirror_yet(
    login, carol, local_account, emulator, eager
):
    """The HIT's counts can be stored before its assignments (a notification re-reads the HIT
    first): the page must not stop then, or it stays at "0 submitted" for good."""
    batch = make_batch(make_project(local_account, carol, max_assignments=1), carol, rows_csv(1))
    client = login(carol)
    _launch(client, batch)
    row = batch.rows.get()
    emulator.complete(new_worker_id(), row.hit_mturk_id, {"label": "cat"})
    # the HIT as GetHIT now gives it, stored ahead of its assignment
    HIT.objects.filter(mturk_id=row.hit_mturk_id).update(available=0, pending=0, completed=1)
    assert not Assignment.objects.filter(hit__mturk_id=row.hit_mturk_id).exists()

    assert "hx-trigger" in _section(_fragment(client, batch))

    requester_sync(requester=local_account)
    fragment = _fragment(client, batch)
    assert "hx-trigger" in _section(fragment)  # submitted: a decision is still to come
    assert '<td class="num">1</td><td class="num">1</td><td class="num">0</td>' in fragment


@pytest.mark.parametrize(
    ("status", "polls"),
    [
        (BatchStatus.LAUNCHING, True),
        (BatchStatus.CANCELLING, True),
        (BatchStatus.CANCELLED, False),
        (BatchStatus.FAILED, False),
    ],
)
def test_it_polls_only_while_the_launch_can_move(login, carol, project, status, polls):
    batch = make_batch(project, carol, rows_csv(2))
    Batch.objects.filter(pk=batch.pk).update(status=status)
    fragment = _fragment(login(carol), batch)
    assert ("hx-trigger" in _section(fragment)) is polls
    # the heading's badge follows along, out of band
    badge = re.search(
        r'<div class="page-head" id="batch-head" hx-swap-oob="true">.*?</h1>', fragment, re.S
    )
    assert badge and Batch(status=status).get_status_display() in badge.group(0)


def test_the_polled_view_stays_cheap(
    login, carol, local_account, emulator, eager, django_assert_max_num_queries
):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(30))
    client = login(carol)
    _launch(client, batch)
    for row in batch.rows.order_by("index")[:10]:
        emulator.complete(new_worker_id(), row.hit_mturk_id, {"label": "cat"})
    requester_sync(requester=local_account)
    client.get(f"/batches/{batch.pk}/progress/", HTTP_HX_REQUEST="true")  # session warmed
    with django_assert_max_num_queries(14):  # 13, and the median work time's
        fragment = _fragment(client, batch)
    assert '<td class="num">30</td><td class="num">10</td>' in fragment


def test_without_htmx_the_progress_address_goes_to_the_page(login, carol, project):
    batch = make_batch(project, carol, rows_csv(1))
    response = login(carol).get(f"/batches/{batch.pk}/progress/")
    assert response.status_code == 302 and response.url == f"/batches/{batch.pk}/"


@pytest.mark.browser
def test_the_open_page_shows_the_work_come_in_without_a_reload(
    page, carol, local_account, emulator, eager
):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(2), name="Live")
    page.goto("/login/")
    page.fill("#id_username", "carol")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Requester accounts")

    page.goto(f"/batches/{batch.pk}/")
    page.click("#review button.primary")  # "Launch 2 HITs for $1.20"
    page.wait_for_selector("text=Environment:")
    page.click("#review button.primary")  # the one confirmation
    page.wait_for_selector("#progress .status-launched")
    counters = page.locator("#progress table.counters tbody td")
    assert counters.nth(1).inner_text() == "0"  # submitted
    page.evaluate("() => { window.stillTheSamePage = true; }")

    for row in batch.rows.order_by("index"):
        emulator.complete(new_worker_id(), row.hit_mturk_id, {"label": "cat"})
    requester_sync(requester=local_account)

    page.wait_for_function(
        "() => document.querySelectorAll('#progress table.counters tbody td')[1]"
        ".textContent.trim() === '2'",
        timeout=15_000,
    )
    assert page.evaluate("() => window.stillTheSamePage === true")  # no reload happened
    assert page.locator("#progress svg.chart rect").count() > 0
    assert page.locator("#batch-status").inner_text() == "Launched"
    assert page.console_errors == []
