"""The batch page's gradual release: the plan before the launch, the waves after, and its
buttons (a manager's, with htmx or a plain form), refused to lower roles and other accounts."""

from __future__ import annotations

import re

import pytest

from apps.audit.models import AuditEvent
from apps.batches import services, waves
from apps.batches.models import Batch, BatchStatus, RowStatus
from apps.requesters.models import Membership
from tests.batches.conftest import make_batch, make_project, rows_csv
from tests.batches.test_waves import eager as eager  # the shared fixtures
from tests.review.drawn_work import parse

pytestmark = pytest.mark.django_db(transaction=True)

HTMX = {"HTTP_HX_REQUEST": "true"}


def _section(html: str):
    return parse(html).find("section", id="waves")


def _words(node) -> str:
    if isinstance(node, str):
        return node
    return " ".join(_words(child) for child in node.children)


def _text(node) -> str:
    return re.sub(r"\s+", " ", _words(node)).strip()


def _buttons(node) -> list[str]:
    return [_text(b) for b in node.find_all("button")]


@pytest.fixture
def ready(local_account, carol):
    return make_batch(make_project(local_account, carol), carol, rows_csv(7), name="Ready")


@pytest.fixture
def launched(local_account, carol, emulator, eager):
    batch = make_batch(
        make_project(local_account, carol, name="Waves"), carol, rows_csv(7), name="Waves"
    )
    membership = Membership.objects.get(user=carol)
    waves.batch_waves_plan(
        membership=membership, actor=carol, batch=batch, size=3, done_percent=80, every_minutes=30
    )
    services.batch_launch(membership=membership, actor=carol, batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED
    return batch


def test_it_plans_the_waves_before_the_launch_with_a_plain_form(login, carol, ready):
    client = login(carol)
    section = _section(client.get(f"/batches/{ready.pk}/").content.decode())
    assert "Every HIT is published at the launch." in _text(section)
    form = section.find("form", id="wave-plan")
    assert form.attrs["action"] == f"/batches/{ready.pk}/waves/plan/"
    assert form.find("input", name="size").attrs["max"] == "7"

    response = client.post(
        f"/batches/{ready.pk}/waves/plan/", {"size": "3", "done_percent": "80", "every_minutes": ""}
    )

    assert response.status_code == 302 and response["Location"].endswith(f"/{ready.pk}/#waves")
    ready.refresh_from_db()
    assert (ready.wave_size, ready.wave_done_percent, ready.wave_every_minutes) == (3, 80, None)
    page = client.get(response["Location"]).content.decode()
    assert "Released gradually: 3 HITs per wave, the next when the last is 80% done." in page
    assert "This batch is released in waves: 3 HITs per wave" in _text(_section(page))
    assert AuditEvent.objects.filter(action="batch.waves_plan", actor=carol).count() == 1

    client.post(f"/batches/{ready.pk}/waves/plan/", {"all_at_once": "1"})
    ready.refresh_from_db()
    assert ready.wave_size is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"size": "8", "done_percent": "50"}, "at most the batch's 7 HITs"),
        ({"size": "0", "done_percent": "50"}, "greater than or equal to 1"),
        ({"size": "2", "done_percent": "101"}, "less than or equal to 100"),
        ({"size": "2", "done_percent": "0"}, "greater than or equal to 1"),
        ({"size": "2"}, "a percentage done, minutes, or both"),
        ({"size": "x", "every_minutes": "5"}, "Enter a whole number"),
    ],
)
def test_it_refuses_a_plan_that_does_not_hold(login, carol, ready, data, message):
    answer = login(carol).post(f"/batches/{ready.pk}/waves/plan/", data, **HTMX)

    assert answer.status_code == 200
    section = _section(answer.content.decode())
    assert message in _text(section.find(None, class_="error"))
    ready.refresh_from_db()
    assert ready.wave_size is None


def test_the_launched_batch_shows_its_waves_the_next_condition_and_its_held_rows(
    login, carol, victor, launched
):
    section = _section(login(carol).get(f"/batches/{launched.pk}/").content.decode())

    [row] = section.find("table", id="waves-table").find("tbody").find_all("tr")
    cells = [_text(td) for td in row.find_all("td")]
    assert cells[0:2] == ["1", "3 (HITs 1\N{EN DASH}3)"]
    assert "by carol" in cells[2] and cells[3] == "the launch"
    assert cells[4].startswith("0%") and "0 of 3 assignments" in cells[4]
    condition = _text(section.find(None, data_wave_condition=True))
    assert condition.startswith("The next 3 HITs when wave 1 is 80% done: now 0% or at ")
    assert "(30 minutes after wave 1)" in condition
    assert "Waiting for their wave: 4 HITs" in _text(section)
    held = section.find("table", id="held-rows").find("tbody").find_all("tr")
    assert [_text(r) for r in held] == [f"{n} Waiting for its wave" for n in range(5, 9)]
    actions = {f.attrs["action"].rstrip("/").rsplit("/", 1)[-1] for f in section.find_all("form")}
    assert actions == {"pause", "release", "cancel"}
    assert section.find("input", name="after").attrs["value"] == "1"
    assert "hx-get" in section.attrs  # follows the beat's releases by itself

    viewer = _section(login(victor).get(f"/batches/{launched.pk}/").content.decode())
    assert viewer.find("table", id="waves-table") and not viewer.find_all("form")
    assert "Waiting for their wave: 4 HITs" in _text(viewer)


def test_pause_resume_and_release_answer_the_section_to_htmx(login, carol, launched):
    client = login(carol)

    paused = _section(client.post(f"/batches/{launched.pk}/waves/pause/", **HTMX).content.decode())
    assert "Paused: no wave goes until you resume." in _text(paused)
    assert _text(paused.find(None, data_wave_condition=True)).startswith("Paused:")
    assert "Resume the waves" in _buttons(paused)
    assert Batch.objects.get(pk=launched.pk).waves_paused

    released = client.post(f"/batches/{launched.pk}/waves/release/", {"after": "1"}, **HTMX)
    section = _section(released.content.decode())
    assert "Wave 2: 3 HITs being published." in _text(section)
    assert len(section.find("table", id="waves-table").find("tbody").find_all("tr")) == 2
    assert "Waiting for their wave: 1 HIT" in _text(section)
    again = client.post(f"/batches/{launched.pk}/waves/release/", {"after": "1"}, **HTMX)
    assert "A wave was released meanwhile" in _text(_section(again.content.decode()))
    assert launched.waves.count() == 2

    resumed = client.post(f"/batches/{launched.pk}/waves/resume/", **HTMX)
    assert "Pause the waves" in _buttons(_section(resumed.content.decode()))
    assert not Batch.objects.get(pk=launched.pk).waves_paused

    # Without JavaScript: the same actions, then the batch page at its waves.
    plain = client.post(f"/batches/{launched.pk}/waves/release/", {"after": "2"})
    assert plain.status_code == 302 and plain["Location"].endswith("#waves")
    assert "Wave 3: 1 HIT being published." in client.get(plain["Location"]).content.decode()
    section = _section(client.get(f"/batches/{launched.pk}/").content.decode())
    assert "Every HIT is released." in _text(section) and not section.find_all("form")
    assert not launched.rows.filter(status=RowStatus.HELD).exists()


def test_the_polled_section_is_a_fragment_and_the_page_without_htmx(login, carol, launched):
    client = login(carol)
    plain = client.get(f"/batches/{launched.pk}/waves/")
    assert plain.status_code == 302 and plain["Location"].endswith(f"/{launched.pk}/#waves")
    fragment = client.get(f"/batches/{launched.pk}/waves/", **HTMX).content.decode()
    assert fragment.lstrip().startswith('<section class="card" id="waves"')
    assert "<html" not in fragment


def test_release_no_more_waves_cancels_the_batch_between_waves(login, carol, launched):
    answer = login(carol).post(f"/batches/{launched.pk}/waves/cancel/", {"expire": ""})

    assert answer.status_code == 302
    launched.refresh_from_db()
    assert launched.status == BatchStatus.CANCELLED
    page = login(carol).get(answer["Location"]).content.decode()
    assert "Cancelled: the HITs still held will never be published." in page
    assert "Cancelled: the 4 HITs still held will not be released." in _text(_section(page))
    assert not _section(page).find_all("form")


POSTS = ["plan", "pause", "resume", "release", "cancel"]


@pytest.mark.parametrize("persona", ["victor", "bob"])
def test_a_viewer_and_a_reviewer_are_refused_every_wave_action(
    request, login, launched, ready, persona
):
    client = login(request.getfixturevalue(persona))
    before = (AuditEvent.objects.count(), launched.waves.count())
    for action in POSTS:
        batch = ready if action == "plan" else launched
        data = {"size": "2", "done_percent": "50", "after": "1"}
        assert client.post(f"/batches/{batch.pk}/waves/{action}/", data).status_code == 403
    assert (AuditEvent.objects.count(), launched.waves.count()) == before
    assert Batch.objects.get(pk=ready.pk).wave_size is None


def test_another_account_finds_no_such_batch(login, charlie, launched, ready):
    client = login(charlie)
    for action in POSTS:
        batch = ready if action == "plan" else launched
        data = {"size": "2", "done_percent": "50", "after": "1"}
        assert client.post(f"/batches/{batch.pk}/waves/{action}/", data).status_code == 404
    assert client.get(f"/batches/{launched.pk}/waves/", **HTMX).status_code == 404
    assert launched.waves.count() == 1
