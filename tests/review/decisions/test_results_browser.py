"""Drawn answers in a real browser: on a batch's results page a worker's shapes hide when their
box is unticked and come back when ticked, the masks follow the opacity slider, a review card
starts with only its worker's layer, and no page breaks its Content-Security-Policy (inline
styles and scripts would show as console errors). With SCREENSHOTS=1 (`make screenshots`) the
card and the page are saved to docs/screenshots/."""

from __future__ import annotations

import pytest

from tests.batches.test_views import eager
from tests.factories import PASSWORD
from tests.fixtures.browser import screenshot
from tests.review.drawn_work import png_data_uri, worked_batch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["eager"]

TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-bounding-box name="animals" src="${image_url}" header="Box every animal"
    labels="['Cat', 'Bird']"></crowd-bounding-box>
  <crowd-semantic-segmentation name="paint" src="${image_url}" header="Paint the cat"
    labels="['Cat']"></crowd-semantic-segmentation>
  <crowd-entity-annotation name="ner" text="${caption}" header="Mark the people and places"
    labels="[{label: 'person'}, {label: 'place'}]"></crowd-entity-annotation>
  <crowd-classifier name="mood" header="Is the cat awake?" categories="['Awake', 'Asleep']">
  </crowd-classifier>
</crowd-form>"""
TRUTH = {
    "animals": {
        "boundingBoxes": [
            {"label": "Cat", "left": 78, "top": 72, "width": 124, "height": 154},
            {"label": "Bird", "left": 280, "top": 30, "width": 60, "height": 40},
        ]
    },
    "paint": [{"label": "Cat", "left": 80, "top": 75, "width": 120, "height": 150}],
    "ner": {
        "entities": [
            {"label": "person", "startOffset": 0, "endOffset": 12},
            {"label": "place", "startOffset": 29, "endOffset": 35},
        ]
    },
    "mood": "Awake",
}


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def _sign_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Requester accounts")


def test_layers_toggle_masks_fade_and_nothing_breaks_the_policy(
    page, login, carol, local_account, emulator, eager
):
    worked = worked_batch(
        login(carol),
        local_account,
        carol,
        emulator,
        template=TEMPLATE,
        rows=[{"image_url": png_data_uri(), "caption": "Ada Lovelace sat by a cat in London"}],
        truth=TRUTH,
        name="Cats",
    )
    first, second, _ = [a.worker_id for a in worked.assignments]
    page.set_viewport_size({"width": 1280, "height": 1200})
    _sign_in(page, "carol")

    page.goto(f"/review/batches/{worked.batch.pk}/results/")
    boxes = page.locator('figure[data-drawn-kind="boxes"]')
    layer = boxes.locator(f'g[data-layer][data-worker="{second}"]')
    assert layer.locator("rect").count() == 2 and layer.is_visible()
    toggle = boxes.locator(f'input[data-layer-toggle][data-worker="{second}"]')
    toggle.uncheck()
    assert layer.is_hidden()
    assert boxes.locator(f'g[data-layer][data-worker="{first}"]').is_visible()
    toggle.check()
    assert layer.is_visible()

    mask = page.locator('figure[data-drawn-kind="semantic"]')
    assert mask.locator("image.drawn-mask").count() == 4  # three workers' and the aggregated
    mask.locator("input[data-mask-opacity]").fill("25")
    opacities = mask.locator("image.drawn-mask").evaluate_all(
        "masks => masks.map(m => m.getAttribute('opacity'))"
    )
    assert opacities == ["0.25"] * 4
    assert page.locator("mark").count() >= 6  # three workers' and the aggregated spans
    assert page.locator("[data-aggregate]").count() == 1
    screenshot(page, "25-results-page.png")

    page.goto(f"/review/?batch={worked.batch.pk}")
    card = page.locator("[data-assignment]").first
    card_boxes = card.locator('figure[data-drawn-kind="boxes"]')
    own, *others = card_boxes.locator("g[data-layer]").all()[::-1]  # drawn last, on top
    assert own.is_visible() and all(layer.is_hidden() for layer in others)
    card_boxes.locator("input[data-layer-toggle]").nth(1).check()
    assert sum(layer.is_visible() for layer in others) == 1
    assert card.locator("details[data-fields] summary").inner_text() == "All fields as sent"
    screenshot(page, "24-drawn-review-card.png", card)

    assert page.console_errors == []
