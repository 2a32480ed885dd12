"""Segmentation painted with the mouse and keyboard as a worker would:
crowd-semantic-segmentation and crowd-instance-segmentation, their answer a PNG of the labels in
pixels of the original image, read back here pixel by pixel."""

from __future__ import annotations

import base64

import pytest

from tests.emulator.crowd.conftest import Surface, png_data_url
from tests.emulator.png import decode_png

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 200, 120
IMAGE = png_data_url(WIDTH, HEIGHT, rectangles=((20, 20, 60, 40, (120, 120, 120)),))
BLUE, ORANGE, GREEN = (0x1F, 0x77, 0xB4, 255), (0xFF, 0x7F, 0x0E, 255), (0x2C, 0xA0, 0x2C, 255)
CLEAR = (0, 0, 0, 0)


def painter(task, element: str) -> Surface:
    return Surface(task, element, image=".crowd-paint-stage img", ready="canvas")


def labelled_image(answer: dict) -> list[list[tuple[int, ...]]]:
    data = answer["labeledImage"]["pngImageData"]
    assert not data.startswith("data:"), "pngImageData is the bare base64 of the PNG"
    width, height, pixels = decode_png(data)
    assert (width, height) == (WIDTH, HEIGHT)
    return pixels


def colours_in(pixels) -> set[tuple[int, ...]]:
    return {pixel for row in pixels for pixel in row}


def test_it_paints_labels_into_a_png_of_the_image_size(crowd_task):
    task = crowd_task(
        '<crowd-semantic-segmentation name="seg" src="' + IMAGE + '" header="Paint the animals"'
        " labels=\"['Cat', 'Dog']\"><short-instructions>Paint each animal.</short-instructions>"
        "</crowd-semantic-segmentation>"
    )
    surface = painter(task, "crowd-semantic-segmentation")
    assert task.frame.get_by_text("Paint each animal.").is_visible()
    surface.drag((30, 30), (60, 30))
    surface.press("2")  # Dog
    surface.drag((150, 90), (160, 90))
    task.submit()

    answer = task.answer()["seg"]
    assert answer["inputImageProperties"] == {"height": HEIGHT, "width": WIDTH}
    assert answer["labelMappings"] == {"Cat": {"color": "#1f77b4"}, "Dog": {"color": "#ff7f0e"}}
    pixels = labelled_image(answer)
    assert pixels[30][30] == pixels[30][45] == pixels[30][60] == BLUE
    assert pixels[90][155] == ORANGE
    assert pixels[5][5] == pixels[60][100] == CLEAR
    # no smoothing: every pixel is a label's colour or nothing
    assert colours_in(pixels) == {BLUE, ORANGE, CLEAR}
    assert task.page.console_errors == []


def test_it_erases_and_undoes_and_names_only_the_labels_left(crowd_task):
    task = crowd_task(
        '<crowd-semantic-segmentation name="seg" src="' + IMAGE + '"'
        " labels=\"['Cat', 'Dog']\"></crowd-semantic-segmentation>"
    )
    surface = painter(task, "crowd-semantic-segmentation")
    surface.drag((20, 60), (100, 60))  # a Cat stroke
    surface.press("2")
    surface.drag((150, 20), (150, 40))  # a Dog stroke
    surface.press("Control+z")  # the Dog stroke undone
    surface.press("e")  # the eraser
    surface.drag((20, 60), (50, 60))
    task.submit()

    answer = task.answer()["seg"]
    assert answer["labelMappings"] == {"Cat": {"color": "#1f77b4"}}
    assert "initialValueModified" not in answer
    pixels = labelled_image(answer)
    assert pixels[60][30] == CLEAR, "erased"
    assert pixels[60][90] == BLUE, "painted and kept"
    assert pixels[30][150] == CLEAR, "undone"


def test_it_shows_a_prior_jobs_labels_to_adjust(crowd_task):
    prior = png_data_url(WIDTH, HEIGHT, rectangles=((10, 10, 40, 30, (0x2C, 0xA0, 0x2C)),))
    task = crowd_task(
        '<crowd-semantic-segmentation name="seg" src="' + IMAGE + '"'
        ' labels="[\'Bird\', \'Cat\']" initial-value=\'{"labelMappings": {"Cat": '
        '{"color": "#2ca02c"}}, "src": "' + prior + "\"}'></crowd-semantic-segmentation>"
    )
    surface = painter(task, "crowd-semantic-segmentation")
    task.frame.locator("crowd-semantic-segmentation").evaluate(
        "el => new Promise(done => { const wait = () => el._mask && el._mask[15 * 200 + 15]"
        " ? done() : setTimeout(wait, 20); wait(); })"
    )
    left_alone = task.frame.locator("crowd-semantic-segmentation").evaluate("el => el.value")
    assert left_alone["initialValueModified"] is False
    assert left_alone["labelMappings"] == {"Cat": {"color": "#2ca02c"}}
    surface.press("1")  # Bird
    surface.drag((150, 80), (170, 80))
    task.submit()

    answer = task.answer()["seg"]
    assert answer["initialValueModified"] is True
    assert answer["labelMappings"] == {"Bird": {"color": "#1f77b4"}, "Cat": {"color": "#2ca02c"}}
    pixels = labelled_image(answer)
    assert pixels[20][20] == GREEN and pixels[80][160] == BLUE


def test_each_instance_gets_its_own_colour_and_label(crowd_task):
    task = crowd_task(
        '<crowd-instance-segmentation name="things" src="' + IMAGE + '"'
        " labels=\"['Car', 'Person']\"></crowd-instance-segmentation>"
    )
    surface = painter(task, "crowd-instance-segmentation")
    surface.drag((30, 30), (50, 30))  # first Car
    surface.press("n")
    surface.drag((100, 30), (120, 30))  # second Car
    surface.press("2")  # Person: a new instance
    surface.drag((150, 90), (170, 90))
    instances = task.frame.locator(".crowd-paint-instances li")
    assert instances.all_inner_texts() == ["#1 Car", "#2 Car", "#3 Person"]
    task.submit()

    answer = task.answer()["things"]
    assert answer["inputImageProperties"] == {"height": HEIGHT, "width": WIDTH}
    assert answer["instances"] == [
        {"color": "#1f77b4", "label": "Car"},
        {"color": "#ff7f0e", "label": "Car"},
        {"color": "#2ca02c", "label": "Person"},
    ]
    pixels = labelled_image(answer)
    assert pixels[30][40] == BLUE and pixels[30][110] == ORANGE and pixels[90][160] == GREEN
    assert colours_in(pixels) == {BLUE, ORANGE, GREEN, CLEAR}
    assert task.page.console_errors == []


def test_a_larger_image_shown_smaller_is_painted_in_its_own_pixels(crowd_task):
    big = png_data_url(1000, 600)
    task = crowd_task(
        '<div style="width: 400px"><crowd-semantic-segmentation name="seg" src="' + big + '"'
        " labels=\"['Sky']\"></crowd-semantic-segmentation></div>"
    )
    surface = painter(task, "crowd-semantic-segmentation")
    shown = surface.image.evaluate("img => img.getBoundingClientRect().width")
    assert shown < 1000
    surface.drag((500, 300), (600, 300))
    task.submit()

    answer = task.answer()["seg"]
    assert answer["inputImageProperties"] == {"height": 600, "width": 1000}
    width, height, pixels = decode_png(base64.b64decode(answer["labeledImage"]["pngImageData"]))
    assert (width, height) == (1000, 600)
    assert pixels[300][550] == BLUE and pixels[300][400] == CLEAR
