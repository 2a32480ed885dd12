"""The gallery in a real browser: every thumbnail drawn, a starter's preview running the local
MTurk's crowd script over the example media this dashboard serves, and "Use this starter"
making the project. With SCREENSHOTS=1 (`make screenshots`) the gallery and a starter's page
are saved to docs/screenshots/."""

from __future__ import annotations

import pytest

from apps.batches import starters
from apps.batches.models import Project
from tests.batches.test_project_browser import _sign_in
from tests.fixtures.browser import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_gallery_previews_a_starter_and_makes_its_project(page, carol, local_account):
    page.set_viewport_size({"width": 1280, "height": 1000})
    _sign_in(page, "carol")
    page.goto("/batches/projects/")
    page.click("a:has-text('New project')")
    page.wait_for_selector("h1:has-text('New project')")
    thumbnails = page.locator(".gallery img")
    assert thumbnails.count() == len(starters.STARTERS)
    drawn = thumbnails.evaluate_all("imgs => imgs.filter(i => i.complete && i.naturalWidth > 0)")
    assert len(drawn) == len(starters.STARTERS)  # every SVG thumbnail drawn
    screenshot(page, "26-gallery.png")

    page.click("[data-starter=bounding-boxes] a")
    page.wait_for_selector("h1:has-text('Bounding boxes')")
    frame = page.frame_locator("iframe.hit-preview")
    image = frame.locator("crowd-bounding-box img, crowd-bounding-box image").first
    image.wait_for(timeout=10_000)
    # The example photo, served by this dashboard, loads inside the sandboxed preview.
    frame.locator("crowd-bounding-box").evaluate(
        """el => new Promise((done, fail) => {
            const started = Date.now();
            (function look() {
                const img = el.querySelector("img");
                if (img && img.complete && img.naturalWidth === 800) return done();
                if (Date.now() - started > 8000) return fail(new Error("the photo did not load"));
                setTimeout(look, 100);
            })();
        })"""
    )
    page.click("nav.row-pick a:has-text('Row 2')")
    page.wait_for_selector("h2:has-text('example row 2')")
    screenshot(page, "27-starter.png")

    page.click("a[data-use]")
    page.wait_for_selector("[data-starter-notice]")
    assert "crowd-bounding-box" in page.input_value("#id_template")
    page.click("form.project-form button[type=submit]")
    page.wait_for_selector("h1:has-text('Bounding boxes')")
    page.wait_for_selector(".message.success")
    project = Project.objects.get(requester=local_account)
    assert project.starter == "bounding-boxes"
    assert page.console_errors == []
