"""The starters' answers drawn in a real browser: for each kind of drawing, the batch's results
page and its review cards show the crowd's work over the example media (served by the live
dashboard, within each page's Content-Security-Policy), with no error in the console."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.batches.test_project_browser import _sign_in
from tests.batches.test_starter_journeys import run_starter
from tests.batches.test_views import eager

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["eager"]

# A starter per drawing, and what must be seen drawn on its results page.
DRAWN = {
    "bounding-boxes": 'figure[data-drawn-kind="boxes"] rect',
    "keypoints": 'figure[data-drawn-kind="keypoints"] circle',
    "polygons": 'figure[data-drawn-kind="polygons"] polygon',
    "lane-lines": 'figure[data-drawn-kind="polylines"] polyline',
    "semantic-segmentation": 'figure[data-drawn-kind="semantic"] image.drawn-mask',
    "instance-segmentation": 'figure[data-drawn-kind="instances"] image.drawn-mask',
    "named-entities": "mark",
    "audio-transcription": "audio",
    "video-classification": "video",
    "ab-preference": "[data-side][data-chosen], .drawn-ab-other[data-chosen]",
    "image-classification-multi": ".drawn-option[data-chosen]",
    "short-survey": "table.drawn-table td.answer",
}


@pytest.mark.parametrize("slug", list(DRAWN))
def test_a_starters_answers_are_drawn_in_the_browser(
    slug, page, live_server, login, carol, local_account, emulator, eager
):
    host = urlsplit(live_server.url).netloc
    batch = run_starter(login(carol), local_account, emulator, slug, host=host)
    page.set_viewport_size({"width": 1280, "height": 1000})
    _sign_in(page, "carol")
    for url in (f"/review/batches/{batch.pk}/results/", f"/review/?batch={batch.pk}"):
        page.goto(url)
        drawn = page.locator(DRAWN[slug])
        drawn.first.wait_for(state="attached")
        assert drawn.count() >= 1, url
        # Every picture under a drawing loaded (a blocked or broken one has no size).
        broken = page.evaluate(
            """() => [...document.querySelectorAll('.drawn img, .drawn-thumb')]
                .filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src)"""
        )
        assert broken == [], url
    assert page.console_errors == []
