"""Choice elements, worked with the mouse and keyboard as a worker would: toggle buttons,
sliders, the multi-select classifiers and the image classifiers, and the regions
(<classification-target>, <short-instructions>, <full-instructions>) the classifiers take."""

from __future__ import annotations

import pytest

from tests.emulator.crowd.conftest import png_data_url

pytestmark = pytest.mark.browser

IMAGE = png_data_url(200, 100, rectangles=((20, 20, 60, 40, (200, 60, 60)),))
THUMB = 16  # the knob's width in pixels, as 40-choices.js draws it


def test_it_answers_toggle_buttons_by_their_value_and_state(crowd_task):
    task = crowd_task(
        '<crowd-toggle-button name="plain">Plain</crowd-toggle-button>'
        '<crowd-toggle-button name="withValue" value="someValue">With value</crowd-toggle-button>'
        '<crowd-toggle-button name="preset" checked disabled>Preset</crowd-toggle-button>'
        '<crowd-toggle-button name="agree" required invalid>I agree</crowd-toggle-button>'
    )
    frame = task.frame
    agree = frame.locator("crowd-toggle-button[name=agree]").get_by_role("switch")
    assert agree.evaluate(
        "b => getComputedStyle(b.querySelector('.crowd-toggle-track')).backgroundColor"
    ) == ("rgb(217, 45, 32)")
    task.refused("Switch on agree.")

    frame.locator("crowd-toggle-button[name=withValue]").get_by_role("switch").click()
    plain = frame.locator("crowd-toggle-button[name=plain]").get_by_role("switch")
    plain.focus()
    task.page.keyboard.press("Space")
    task.page.keyboard.press("Enter")
    assert plain.get_attribute("aria-checked") == "false"
    preset = frame.locator("crowd-toggle-button[name=preset]").get_by_role("switch")
    assert preset.is_disabled() and preset.get_attribute("aria-checked") == "true"
    agree.click()
    task.submit()

    assert task.answer() == {
        "plain": {"on": False},
        "withValue": {"someValue": True},
        "preset": {"on": True},
        "agree": {"on": True},
    }
    assert task.page.console_errors == []


def test_it_answers_sliders_with_the_number_chosen(crowd_task):
    task = crowd_task(
        '<crowd-slider name="howMuch" min="1" max="10" step="1" pin editable required></crowd-slider>'
        '<crowd-slider name="half" min="0" max="2" step="0.5" value="1.5"></crowd-slider>'
    )
    frame = task.frame
    task.refused("Choose a value on howMuch.")

    slider = frame.locator("crowd-slider[name=howMuch]")
    track = slider.locator("input[type=range]").bounding_box()
    y = track["y"] + track["height"] / 2

    def x_of(value: float) -> float:
        return track["x"] + THUMB / 2 + (value - 1) / 9 * (track["width"] - THUMB)

    mouse = task.page.mouse
    mouse.move(x_of(1), y)
    mouse.down()
    mouse.move(x_of(7), y, steps=5)
    pin = slider.locator(".crowd-slider-pin")
    assert pin.is_visible() and pin.inner_text() == "7"
    mouse.up()
    task.page.keyboard.press("ArrowRight")
    assert pin.inner_text() == "8"
    assert slider.locator("input[type=number]").input_value() == "8"

    half = frame.locator("crowd-slider[name=half] input[type=range]")
    assert half.input_value() == "1.5"
    task.submit()

    assert task.answer() == {"howMuch": 8, "half": 1.5}
    assert task.page.console_errors == []


def test_its_editable_slider_moves_with_its_number_box(crowd_task):
    task = crowd_task(
        '<crowd-slider name="level" min="0" max="100" step="5" editable></crowd-slider>'
    )
    slider = task.frame.locator("crowd-slider")
    assert slider.locator("input[type=range]").input_value() == "0"
    box = slider.locator("input[type=number]")
    box.fill("35")
    assert slider.locator("input[type=range]").input_value() == "35"
    box.press("ArrowUp")
    assert slider.locator("input[type=range]").input_value() == "40"
    task.submit()
    assert task.answer() == {"level": 40}
    assert task.page.console_errors == []


def test_it_answers_the_multi_select_classifier_with_its_labels(crowd_task):
    task = crowd_task(
        '<crowd-classifier-multi-select name="category" header="Select the relevant categories"'
        " categories=\"['Positive', 'Negative', 'Neutral']\""
        " exclusion-category=\"{ text: 'None of the above' }\">"
        "<classification-target>The food was great but the wait was long.</classification-target>"
        '<full-instructions header="Text Categorization Instructions">'
        "<p>When the sentiment is mixed, choose both labels.</p></full-instructions>"
        "<short-instructions>Choose all categories the text expresses.</short-instructions>"
        "</crowd-classifier-multi-select>"
        '<crowd-classifier-multi-select name="second" header="Second text"'
        " categories=\"['Positive', 'Negative']\" exclusion-category=\"{ text: 'None of the above' }\">"
        "<classification-target>Opening hours: 9 to 5.</classification-target>"
        "</crowd-classifier-multi-select>"
    )
    frame = task.frame
    first = frame.locator("crowd-classifier-multi-select[name=category]")
    assert first.locator("h3").inner_text() == "Select the relevant categories"
    assert first.locator(".crowd-classification-target").inner_text() == (
        "The food was great but the wait was long."
    )
    panel = first.locator(".crowd-instructions-panel")
    assert "Choose all categories the text expresses." in panel.inner_text()
    panel.get_by_role("button", name="View full instructions").click()
    assert first.locator("dialog h2").inner_text() == "Text Categorization Instructions"
    task.page.keyboard.press("Escape")
    task.refused("Choose at least one category for Select the relevant categories.")

    first.get_by_label("Neutral").check()
    first.get_by_label("Positive").check()
    second = frame.locator("crowd-classifier-multi-select[name=second]")
    second.get_by_label("Negative").check()
    second.get_by_label("None of the above").check()
    assert not second.get_by_label("Negative").is_checked()
    task.submit()

    assert task.answer() == {
        "category": {"labels": ["Positive", "Neutral"]},
        "second": {"labels": ["None of the above"]},
    }
    assert task.page.console_errors == []


def test_it_answers_the_image_classifier_with_its_label_and_comment(crowd_task):
    task = crowd_task(
        f'<crowd-image-classifier name="boundingBoxClassification" src="{IMAGE}"'
        " header=\"Rate the boxes\" categories=\"['good', 'bad']\""
        ' overlay=\'{"boundingBox": {labels: ["bird"], value: ['
        '{height: 40, label: "bird", left: 20, top: 20, width: 60},]}}\'>'
        "<short-instructions>Is the bird boxed tightly?</short-instructions>"
        '<worker-comment header="Why?" link-text="Explain your rating" placeholder="The box...">'
        "Say what is wrong with the box.</worker-comment>"
        "</crowd-image-classifier>"
    )
    frame = task.frame
    element = frame.locator("crowd-image-classifier")
    image = element.locator(".crowd-choice-stage > img")
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [200, 100]
    box = element.locator("rect.crowd-choice-overlay-box")
    assert [box.get_attribute(a) for a in ("x", "y", "width", "height")] == ["20", "20", "60", "40"]
    image_box, rect = image.bounding_box(), box.bounding_box()
    assert rect["x"] == pytest.approx(image_box["x"] + 20 * image_box["width"] / 200, abs=2)
    assert "Is the bird boxed tightly?" in element.locator(".crowd-instructions-panel").inner_text()
    task.refused("Choose a category for Rate the boxes.")

    element.get_by_label("bad").check()
    element.get_by_role("button", name="Explain your rating").click()
    comment = element.locator("dialog")
    assert comment.locator("h2").inner_text() == "Why?"
    assert "Say what is wrong with the box." in comment.inner_text()
    area = comment.locator("textarea")
    assert area.get_attribute("placeholder") == "The box..."
    area.fill("  It cuts off the tail. ")
    comment.get_by_role("button", name="Close").click()
    assert "Your comment: It cuts off the tail." in element.inner_text()
    task.submit()

    assert task.answer() == {
        "boundingBoxClassification": {"label": "bad", "workerComment": "It cuts off the tail."}
    }
    assert task.page.console_errors == []


def test_it_answers_the_image_multi_select_classifier_with_its_labels(crowd_task):
    task = crowd_task(
        f'<crowd-image-classifier name="plain" src="{IMAGE}" header="Plain image"'
        " categories=\"['Cat', 'Dog']\"></crowd-image-classifier>"
        f'<crowd-image-classifier-multi-select name="animals" src="{IMAGE}"'
        " header=\"Please identify the animals\" categories=\"['Cat', 'Dog', 'Bird']\""
        " exclusion-category=\"{ text: 'None of the above' }\">"
        '<short-instructions id="short-instructions">Choose every animal you see.'
        '<crowd-badge icon="star" for="short-instructions"></crowd-badge></short-instructions>'
        "</crowd-image-classifier-multi-select>"
    )
    frame = task.frame
    element = frame.locator("crowd-image-classifier-multi-select")
    assert element.locator("img").evaluate("img => img.naturalWidth") == 200
    badge = element.locator("#short-instructions > crowd-badge .crowd-badge[data-attached]")
    assert badge.inner_text() == "\u2605"
    task.refused("Choose at least one category for Please identify the animals.")
    element.get_by_label("None of the above").check()
    element.get_by_label("Bird").check()
    element.get_by_label("Cat").check()
    assert not element.get_by_label("None of the above").is_checked()
    frame.locator("crowd-image-classifier[name=plain]").get_by_label("Dog").check()
    task.submit()

    assert task.answer() == {
        "plain": {"label": "Dog"},
        "animals": {"labels": ["Cat", "Bird"]},
    }
    assert task.page.console_errors == []


def test_the_classifier_shows_its_target_and_instructions_above_its_categories(crowd_task):
    task = crowd_task(
        '<crowd-classifier name="category" header="What type of document is this?"'
        " categories=\"['Invoice', 'Letter']\">"
        "<classification-target><p>Dear Sir, thank you for your order.</p></classification-target>"
        '<full-instructions header="Document Classification Instructions">'
        "<p>Read the document.</p></full-instructions>"
        "<short-instructions>Choose the document's type.</short-instructions>"
        "</crowd-classifier>"
    )
    element = task.frame.locator("crowd-classifier")
    order = element.evaluate(
        "el => Array.from(el.children).filter(c => c.localName !== 'dialog')"
        ".map(c => c.localName + '.' + c.className)"
    )
    assert order == [
        "h3.",
        "aside.crowd-instructions-panel",
        "div.crowd-classification-target",
        "div.crowd-classifier-categories",
    ]
    assert element.locator(".crowd-classification-target").inner_text() == (
        "Dear Sir, thank you for your order."
    )
    assert "Choose the document's type." in element.locator("aside").inner_text()
    element.get_by_role("button", name="View full instructions").click()
    assert element.locator("dialog h2").inner_text() == "Document Classification Instructions"
    element.get_by_role("button", name="Close").click()
    element.get_by_label("Letter").check()
    task.submit()
    assert task.answer() == {"category": {"label": "Letter"}}
    assert task.page.console_errors == []
