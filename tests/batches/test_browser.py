"""The batch page in a real browser: the sandboxed preview renders the worker's HTML with its
inline styles, cell values as text, and no Content-Security-Policy violation anywhere."""

from __future__ import annotations

import pytest

from tests.batches.conftest import make_batch, make_project
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEMPLATE = """<style>.ask { color: rgb(200, 0, 0); }</style>
<form><p class="ask" id="ask">${caption}</p><input name="label"></form>"""


def test_the_preview_frame_shows_the_row_as_a_worker_would(page, carol, account):
    project = make_project(account, carol, template=TEMPLATE)
    batch = make_batch(
        project, carol, 'caption\n"<b>bold</b><script>window.top.pwned=1</script>"\n'
    )

    _sign_in(page, "carol")
    page.goto(f"/batches/{batch.pk}/")
    page.wait_for_selector("iframe.hit-preview")

    frame = page.frame_locator("iframe.hit-preview")
    ask = frame.locator("#ask")
    assert ask.inner_text() == "<b>bold</b><script>window.top.pwned=1</script>"
    # the template's own inline style applies inside the frame (its policy allows it)
    assert ask.evaluate("e => getComputedStyle(e).color") == "rgb(200, 0, 0)"
    assert page.evaluate("() => window.pwned === undefined")
    assert page.locator("iframe.hit-preview").get_attribute("sandbox") == "allow-forms"
    assert page.console_errors == []


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Requester accounts")


def test_the_progress_polls_until_the_launch_ends(page, carol, account):
    from apps.batches.models import Batch, BatchStatus, RowStatus
    from tests.batches.conftest import rows_csv

    batch = make_batch(make_project(account, carol), carol, rows_csv(3))
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.LAUNCHING)
    _sign_in(page, "carol")
    page.goto(f"/batches/{batch.pk}/")
    page.wait_for_selector("#progress >> text=3 remaining of 3")

    batch.rows.update(status=RowStatus.CREATED)
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.LAUNCHED)

    page.wait_for_selector("#progress >> text=0 remaining of 3", timeout=10_000)
    assert page.locator("#progress .status").inner_text() == "Launched"
    assert page.locator("#progress").get_attribute("hx-trigger") is None
    assert page.console_errors == []
