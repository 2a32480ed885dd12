"""A viewer and a reviewer read the batch page and list without any control their role cannot
use; a manager sees them all (so that these tests would notice a control gone missing)."""

from __future__ import annotations

import re

import pytest

from apps.batches.models import Batch, BatchStatus, RowStatus
from tests.batches.conftest import make_batch, make_project, rows_csv

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager():
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _actions(page: str) -> set[str]:
    """The addresses the page's own forms send to (launch, cancel, ...), by their last part;
    the layout's (sign out, the account switcher) left out."""
    main = re.search(r"<main.*</main>", page, re.S).group(0)
    found = set()
    for action in re.findall(r'<form[^>]*action="([^"]+)"', main):
        found.add(action.rstrip("/").rsplit("/", 1)[-1] or action)
    return found


@pytest.fixture
def batches(login, carol, local_account, emulator, eager):
    project = make_project(local_account, carol)
    ready = make_batch(project, carol, rows_csv(2), name="Ready")
    launched = make_batch(project, carol, rows_csv(2), name="Launched")
    page = login(carol).get(f"/batches/{launched.pk}/launch/").content.decode()
    total = re.search(r'name="confirm_total" value="([0-9.]+)"', page).group(1)
    login(carol).post(f"/batches/{launched.pk}/launch/", {"confirm_total": total})
    launched.rows.filter(index=1).update(status=RowStatus.FAILED, error="MTurk refused it.")
    launching = make_batch(project, carol, rows_csv(1), name="Launching")
    Batch.objects.filter(pk=launching.pk).update(status=BatchStatus.LAUNCHING)
    return {"ready": ready, "launched": launched, "launching": launching}


MANAGER_ONLY = {"launch", "cancel", "resume", "retry", "actions", "exclude"}


def test_a_manager_sees_every_control(login, carol, batches):
    client = login(carol)
    seen = set()
    for batch in batches.values():
        seen |= _actions(client.get(f"/batches/{batch.pk}/").content.decode())
    assert MANAGER_ONLY | {"refresh"} <= seen


@pytest.mark.parametrize(("persona", "may"), [("victor", set()), ("bob", {"refresh"})])
def test_a_lower_role_sees_no_control_it_cannot_use(request, login, batches, persona, may):
    client = login(request.getfixturevalue(persona))
    for state, batch in batches.items():
        page = client.get(f"/batches/{batch.pk}/").content.decode()
        shown = _actions(page)
        assert shown <= may, f"{persona} sees {shown - may} on the {state} batch"
        assert "Launch 2 HITs" not in page and "Cancel the launch" not in page
        assert "Exclude these workers" not in page and "Retry" not in page
        assert 'name="hits"' not in page  # no HIT selection for actions
    listing = client.get("/batches/").content.decode()
    assert not _actions(listing) and "Upload" not in listing
    assert "$1.20" in listing  # the estimate, with two decimals


def test_the_bonus_refresh_is_offered_from_reviewer_up_only(login, victor, bob, batches):
    launched = batches["launched"]
    assert (
        "Refresh from MTurk" not in login(victor).get(f"/batches/{launched.pk}/").content.decode()
    )
    assert "Refresh from MTurk" in login(bob).get(f"/batches/{launched.pk}/").content.decode()
