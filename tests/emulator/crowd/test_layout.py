"""Layout and display elements, worked as a worker would: alerts, badges, cards, tabs, modals,
toasts, instructions (crowd-instructions and a form's own short and full instructions), icon
buttons and floating buttons. None of them adds to taskAnswers."""

from __future__ import annotations

import pytest

from tests.emulator.crowd.conftest import png_data_url

pytestmark = pytest.mark.browser

LAYOUT = """
<short-instructions id="form-short">Tag the photo with <b>three</b> words.</short-instructions>
<full-instructions header="Tagging guide"><p>Prefer nouns to adjectives.</p></full-instructions>
<crowd-alert type="warning" dismissible>Images may be dark.</crowd-alert>
<crowd-card id="card" heading="The photo" image="{image}"><p>Taken in 2019.</p></crowd-card>
<crowd-badge for="card" label="New"></crowd-badge>
<crowd-tabs>
  <crowd-tab header="Photo"><p>A harbour at dusk.</p></crowd-tab>
  <crowd-tab header="Your tag"><crowd-input name="tag" label="Tag"></crowd-input></crowd-tab>
</crowd-tabs>
<crowd-modal link-text="See examples" link-type="button"><p>Boats, pier, sunset.</p></crowd-modal>
<crowd-toast duration="60000" opened>Remember: three words.</crowd-toast>
<crowd-instructions link-text="View instructions">
  <short-summary><p>Write words that describe the photo.</p></short-summary>
  <detailed-instructions><p>Name what you see first.</p></detailed-instructions>
  <positive-example><p>Harbour</p></positive-example>
  <negative-example><p>Nice</p></negative-example>
</crowd-instructions>
"""


def test_it_shows_layout_elements_that_add_nothing_to_the_answer(crowd_task):
    task = crowd_task(LAYOUT.format(image=png_data_url(40, 30)))
    frame = task.frame

    panel = frame.locator("crowd-form > aside.crowd-instructions-panel")
    assert "Tag the photo with three words." in panel.inner_text()
    full = frame.locator("dialog", has_text="Prefer nouns")
    assert not full.is_visible()
    panel.get_by_role("button", name="View full instructions").click()
    assert full.is_visible()
    assert full.locator("h2").inner_text() == "Tagging guide"
    task.page.keyboard.press("Escape")
    assert not full.is_visible()

    alert = frame.locator("crowd-alert")
    assert alert.get_by_role("alert").inner_text().startswith("Images may be dark.")
    alert.get_by_role("button", name="Dismiss").click()
    assert not alert.is_visible()

    card = frame.locator("crowd-card")
    assert card.locator(".crowd-card-heading").inner_text() == "The photo"
    assert card.locator("img.crowd-card-image").evaluate("img => img.naturalWidth") == 40
    badge = card.locator("crowd-badge .crowd-badge")
    assert badge.inner_text() == "New"
    corner, box = badge.bounding_box(), card.locator(".crowd-card").bounding_box()
    assert corner["x"] + corner["width"] > box["x"] + box["width"]  # over the top right corner
    assert corner["y"] < box["y"]

    tabs = frame.locator("crowd-tabs")
    assert tabs.get_by_role("tabpanel").inner_text() == "A harbour at dusk."
    tabs.get_by_role("tab", name="Photo").press("ArrowRight")
    assert tabs.get_by_role("tab", name="Your tag").get_attribute("aria-selected") == "true"
    assert not frame.get_by_text("A harbour at dusk.").is_visible()
    tabs.get_by_role("tab", name="Photo").click()
    assert frame.get_by_text("A harbour at dusk.").is_visible()
    tabs.get_by_role("tab", name="Your tag").click()
    frame.locator("crowd-input[name=tag] input").fill("harbour")

    modal = frame.locator("crowd-modal dialog")
    assert not modal.is_visible()
    frame.get_by_role("button", name="See examples").click()
    assert modal.inner_text().endswith("Boats, pier, sunset.")
    modal.get_by_role("button", name="Close").click()
    assert not modal.is_visible()

    toast = frame.locator("crowd-toast .crowd-toast")
    assert toast.is_visible() and toast.inner_text() == "Remember: three words."

    frame.get_by_role("button", name="View instructions").click()
    window = frame.locator("crowd-instructions dialog")
    assert window.get_by_role("tabpanel").inner_text() == "Write words that describe the photo."
    window.get_by_role("tab", name="Detailed Instructions").click()
    assert window.get_by_role("tabpanel").inner_text() == "Name what you see first."
    window.get_by_role("tab", name="Examples").click()
    examples = window.get_by_role("tabpanel").inner_text()
    assert "Good examples" in examples and "Harbour" in examples
    assert "Bad examples" in examples and "Nice" in examples
    window.get_by_role("button", name="Close").click()

    task.submit()
    assert task.answer() == {"tag": "harbour"}
    assert task.page.console_errors == []


def test_it_shows_one_toast_at_a_time_for_its_duration(crowd_task):
    task = crowd_task(
        '<crowd-toast id="first" duration="60000" opened text="First notice"></crowd-toast>'
        '<crowd-toast id="second" duration="300">Second notice</crowd-toast>'
        '<button type="button" onclick="document.getElementById(\'second\').open()">Show</button>'
    )
    first = task.frame.locator("#first .crowd-toast")
    second = task.frame.locator("#second .crowd-toast")
    assert first.inner_text() == "First notice"
    assert not second.is_visible()
    task.frame.get_by_role("button", name="Show").click()
    assert second.is_visible()
    assert not first.is_visible()
    second.wait_for(state="hidden", timeout=3000)
    assert task.page.console_errors == []


def test_its_icon_buttons_click_unless_disabled(crowd_task):
    task = crowd_task(
        '<input name="clicks" value="0">'
        '<crowd-icon-button id="off" icon="report-problem" title="Report" disabled></crowd-icon-button>'
        '<crowd-input name="issue" label="Report an Issue"></crowd-input>'
        '<crowd-fab id="send" icon="send" title="Send report"></crowd-fab>'
        "<script>"
        "document.getElementById('off').addEventListener('click', function () {"
        " var n = document.querySelector('input[name=clicks]'); n.value = +n.value + 1; });"
        "document.getElementById('send').addEventListener('click', function () {"
        " document.querySelector('crowd-form').submit(); });"
        "</script>"
    )
    off = task.frame.locator("crowd-icon-button")
    assert off.get_by_role("button", name="Report").get_attribute("title") == "Report"
    box = off.bounding_box()
    middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    task.page.mouse.click(*middle)
    clicks = task.frame.locator("input[name=clicks]")
    assert clicks.input_value() == "0"
    off.evaluate("el => el.removeAttribute('disabled')")
    task.page.mouse.click(*middle)
    assert clicks.input_value() == "1"

    task.frame.locator("crowd-input input").fill("The image is blank")
    task.frame.get_by_role("button", name="Send report").click()
    task.page.wait_for_url("**/worker/hits?notice=*")
    assert task.answer() == {"clicks": "1", "issue": "The image is blank"}
    assert task.page.console_errors == []
