"""A local account's preview in a real browser shows the crowd widgets its workers see: the
local MTurk's crowd script runs inside the sandboxed frame."""

from __future__ import annotations

import pytest

from tests.batches.conftest import make_project
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <p>${caption}</p>
  <crowd-input name="label" label="What is it?"></crowd-input>
  <crowd-button id="go">Go</crowd-button>
</crowd-form>"""


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Requester accounts")


def test_the_preview_of_a_local_account_renders_the_crowd_widgets(page, carol, local_account):
    project = make_project(local_account, carol, template=TEMPLATE)

    _sign_in(page, "carol")
    page.goto(f"/batches/projects/{project.pk}/")
    page.wait_for_selector("iframe.hit-preview")

    frame = page.frame_locator("iframe.hit-preview")
    frame.locator("crowd-input input").wait_for(timeout=10_000)
    assert frame.locator("crowd-input input").count() == 1
    assert frame.locator("crowd-input").evaluate(
        "e => customElements.get('crowd-input') !== undefined && e.constructor !== HTMLElement"
    )
    frame.locator("#go button").wait_for(timeout=10_000)
    assert frame.locator("#go button").inner_text() == "Go"
    assert frame.locator("text=[caption]").count() == 1
    assert page.console_errors == []


def test_the_editors_preview_follows_the_template_as_it_is_typed(page, carol, local_account):
    _sign_in(page, "carol")
    page.goto("/batches/projects/new/")
    page.fill("#id_template", TEMPLATE)
    page.press("#id_template", "End")

    frame = page.frame_locator("iframe[name=draft-preview]")
    frame.locator("crowd-input input").wait_for(timeout=10_000)
    assert frame.locator("text=[caption]").count() == 1
    assert page.url.endswith("/batches/projects/new/")  # the page itself did not move

    page.fill("#id_template", TEMPLATE.replace("What is it?", "Which animal?"))
    page.press("#id_template", "End")
    frame.locator("crowd-input[label='Which animal?'] input").wait_for(timeout=10_000)
    assert page.console_errors == []
