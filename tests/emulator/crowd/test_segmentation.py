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
IMAGE_PROPERTIES = {"height": HEIGHT, "width": WIDTH}
BLUE, ORANGE, GREEN = (0x1F, 0x77, 0xB4, 255), (0xFF, 0x7F, 0x0E, 255), (0x2C, 0xA0, 0x2C, 255)
RED = (0xD6, 0x27, 0x28, 255)
CLEAR = (0, 0, 0, 0)


def painter(task, element: str) -> Surface:
    """The element's image, once it (and any prior job's labels) can be painted."""
    return Surface(task, element, image=".crowd-paint-stage img", ready="canvas[data-ready]")


def labelled_image(answer: dict, size: tuple[int, int] = (WIDTH, HEIGHT)):
    data = answer["labeledImage"]["pngImageData"]
    assert not data.startswith("data:"), "pngImageData is the bare base64 of the PNG"
    width, height, pixels = decode_png(base64.b64decode(data))
    assert (width, height) == size
    return pixels


def colours_in(pixels) -> set[tuple[int, ...]]:
    return {pixel for row in pixels for pixel in row}


def painted(pixels) -> set[tuple[int, int]]:
    """(x, y) of every pixel not transparent."""
    return {(x, y) for y, row in enumerate(pixels) for x, pixel in enumerate(row) if pixel[3]}


def test_it_paints_labels_into_a_png_of_the_image_size(crowd_task):
    task = crowd_task(
        '<crowd-semantic-segmentation name="seg" src="' + IMAGE + '" header="Paint the animals"'
        " labels=\"['Cat', 'Dog']\"><short-instructions>Paint each animal.</short-instructions>"
        "</crowd-semantic-segmentation>"
    )
    surface = painter(task, "crowd-semantic-segmentation")
    assert surface.element.locator("h3").inner_text() == "Paint the animals"
    assert task.frame.get_by_text("Paint each animal.").is_visible()
    surface.drag((30, 30), (60, 30))
    surface.press("2")  # Dog
    surface.drag((150, 90), (160, 90))
    task.submit()

    answer = task.answer()["seg"]
    assert answer["inputImageProperties"] == IMAGE_PROPERTIES
    assert answer["labelMappings"] == {"Cat": {"color": "#1f77b4"}, "Dog": {"color": "#ff7f0e"}}
    assert set(answer) == {"inputImageProperties", "labelMappings", "labeledImage"}
    pixels = labelled_image(answer)
    assert pixels[30][30] == pixels[30][45] == pixels[30][60] == BLUE
    assert pixels[90][155] == ORANGE
    assert pixels[5][5] == pixels[60][100] == CLEAR
    # no smoothing: every pixel is a label's colour or nothing
    assert colours_in(pixels) == {BLUE, ORANGE, CLEAR}
    assert task.page.console_errors == []


def test_the_brush_size_is_the_disc_painted(crowd_task):
    task = crowd_task(
        '<crowd-semantic-segmentation name="seg" src="' + IMAGE + '"'
        " labels=\"['Road']\"></crowd-semantic-segmentation>"
    )
    surface = painter(task, "crowd-semantic-segmentation")
    assert surface.image.evaluate("img => img.getBoundingClientRect().width") == WIDTH
    surface.click(100, 60)  # the first brush: 12 pixels across
    surface.element.get_by_label("Brush size").fill("1")
    surface.click(10, 10)
    surface.drag((20, 100), (40, 100))
    task.submit()

    pixels = labelled_image(task.answer()["seg"])
    dot = {(10, 10)}
    line = {(x, 100) for x in range(20, 41)}
    disc = {(x, y) for x in range(90, 111) for y in range(50, 71)}
    disc = {(x, y) for x, y in disc if (x - 100) ** 2 + (y - 60) ** 2 <= 5.5**2 + 0.25}
    assert painted(pixels) == dot | line | disc
    assert pixels[60][95] == pixels[60][105] == pixels[55][100] == BLUE
    assert pixels[60][94] == pixels[60][106] == CLEAR
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
    assert task.page.console_errors == []


def test_undo_and_redo_by_keys_and_buttons(crowd_task):
    task = crowd_task(
        '<crowd-semantic-segmentation name="seg" src="' + IMAGE + '"'
        " labels=\"['Cat', 'Dog']\"></crowd-semantic-segmentation>"
    )
    surface = painter(task, "crowd-semantic-segmentation")
    surface.drag((30, 30), (60, 30))
    surface.press("2")
    surface.drag((30, 90), (60, 90))
    surface.press("Control+z")
    surface.press("Control+z")
    status = surface.element.locator(".crowd-paint-status")
    surface.press("Control+z")
    assert status.inner_text() == "Nothing to undo."
    surface.press("Control+Shift+z")  # the Cat stroke again
    surface.element.get_by_role("button", name="Redo").click()  # and the Dog stroke
    surface.element.get_by_role("button", name="Undo").click()  # the Dog stroke gone again
    task.submit()

    answer = task.answer()["seg"]
    assert answer["labelMappings"] == {"Cat": {"color": "#1f77b4"}}
    pixels = labelled_image(answer)
    assert pixels[30][45] == BLUE and pixels[90][45] == CLEAR
    assert task.page.console_errors == []


def test_nothing_painted_answers_no_labels_and_a_transparent_png(crowd_task):
    task = crowd_task(
        '<crowd-semantic-segmentation name="seg" src="' + IMAGE + '"'
        " labels=\"['Cat']\"></crowd-semantic-segmentation>"
    )
    painter(task, "crowd-semantic-segmentation")
    task.submit()

    answer = task.answer()["seg"]
    assert answer["inputImageProperties"] == IMAGE_PROPERTIES
    assert answer["labelMappings"] == {}
    assert colours_in(labelled_image(answer)) == {CLEAR}
    assert task.page.console_errors == []


def test_an_image_that_cannot_load_keeps_the_form_from_submitting(crowd_task):
    task = crowd_task(
        '<crowd-semantic-segmentation name="seg" header="Paint the road"'
        ' src="data:image/png;base64,bm90IGEgcG5n" labels="[\'Road\']">'
        "</crowd-semantic-segmentation>"
    )
    status = task.frame.locator("crowd-semantic-segmentation .crowd-paint-status")
    status.filter(has_text="The image could not be loaded").wait_for()
    task.refused("The image of Paint the road could not be loaded, so it cannot be painted.")
    assert task.page.console_errors == []


def test_it_shows_a_prior_jobs_labels_to_adjust(crowd_task):
    prior = png_data_url(
        WIDTH,
        HEIGHT,
        rectangles=((10, 10, 40, 30, (0x2C, 0xA0, 0x2C)), (120, 10, 20, 20, (0xD6, 0x27, 0x28))),
    )
    mappings = '{"Cat": {"color": "#2ca02c"}, "Cow": {"color": "#D62728"}}'
    task = crowd_task(
        '<crowd-semantic-segmentation name="seg" src="' + IMAGE + '"'
        " labels=\"['Bird', 'Cat']\" initial-value='{\"labelMappings\": "
        + mappings
        + ', "src": "'
        + prior
        + "\"}'></crowd-semantic-segmentation>"
    )
    surface = painter(task, "crowd-semantic-segmentation")
    element = task.frame.locator("crowd-semantic-segmentation")
    # A prior label the template did not list is offered too, with its key.
    assert element.locator(".crowd-paint-labels label").all_inner_texts() == [
        "1 Bird",
        "2 Cat",
        "3 Cow",
    ]
    left_alone = element.evaluate("el => el.value")
    assert left_alone["initialValueModified"] is False
    assert left_alone["labelMappings"] == {"Cat": {"color": "#2ca02c"}, "Cow": {"color": "#d62728"}}
    assert labelled_image(left_alone)[20][20] == GREEN
    # A stroke undone leaves the prior labels as they were.
    surface.drag((150, 80), (170, 80))
    surface.press("Control+z")
    assert element.evaluate("el => el.value.initialValueModified") is False

    surface.press("1")  # Bird: the first colour no prior label has
    surface.drag((150, 80), (170, 80))
    surface.press("e")
    surface.drag((10, 15), (49, 15))
    task.submit()

    answer = task.answer()["seg"]
    assert answer["initialValueModified"] is True
    assert answer["labelMappings"] == {
        "Bird": {"color": "#1f77b4"},
        "Cat": {"color": "#2ca02c"},
        "Cow": {"color": "#d62728"},
    }
    pixels = labelled_image(answer)
    assert pixels[30][20] == GREEN and pixels[15][130] == RED and pixels[80][160] == BLUE
    assert pixels[15][30] == CLEAR, "erased from the prior labels"
    assert pixels[5][5] == CLEAR
    assert task.page.console_errors == []


def test_each_instance_gets_its_own_colour_and_label(crowd_task):
    task = crowd_task(
        '<crowd-instance-segmentation name="things" src="' + IMAGE + '"'
        " labels=\"['Car', 'Person']\"></crowd-instance-segmentation>"
    )
    surface = painter(task, "crowd-instance-segmentation")
    surface.drag((30, 30), (50, 30))  # first Car
    surface.element.get_by_role("button", name="New instance").click()
    surface.drag((100, 30), (120, 30))  # second Car
    surface.press("2")  # Person: a new instance
    surface.drag((150, 90), (170, 90))
    surface.press("n")
    surface.drag((20, 100), (30, 100))  # a second Person
    instances = task.frame.locator(".crowd-paint-instances li")
    assert instances.all_inner_texts() == ["#1 Car", "#2 Car", "#3 Person", "#4 Person"]
    task.submit()

    answer = task.answer()["things"]
    assert answer["inputImageProperties"] == IMAGE_PROPERTIES
    assert answer["instances"] == [
        {"color": "#1f77b4", "label": "Car"},
        {"color": "#ff7f0e", "label": "Car"},
        {"color": "#2ca02c", "label": "Person"},
        {"color": "#d62728", "label": "Person"},
    ]
    assert set(answer) == {"inputImageProperties", "instances", "labeledImage"}
    pixels = labelled_image(answer)
    assert pixels[30][40] == BLUE and pixels[30][110] == ORANGE and pixels[90][160] == GREEN
    assert pixels[100][25] == RED
    assert colours_in(pixels) == {BLUE, ORANGE, GREEN, RED, CLEAR}
    assert task.page.console_errors == []


def test_an_instance_erased_away_is_not_answered_and_one_can_be_painted_again(crowd_task):
    task = crowd_task(
        '<crowd-instance-segmentation name="things" src="' + IMAGE + '"'
        " labels=\"['Car', 'Person']\"></crowd-instance-segmentation>"
    )
    surface = painter(task, "crowd-instance-segmentation")
    surface.drag((30, 30), (40, 30))  # Car 1
    surface.press("n")
    surface.drag((100, 60), (110, 60))  # Car 2
    surface.press("e")
    surface.element.get_by_label("Brush size").fill("40")
    surface.drag((25, 30), (45, 30))  # Car 1 erased away
    instances = task.frame.locator(".crowd-paint-instances li")
    assert instances.all_inner_texts() == ["#1 Car (empty)", "#2 Car"]
    surface.press("b")
    surface.element.get_by_label("Brush size").fill("4")
    instances.nth(1).click()  # Car 2 again, in its colour
    surface.drag((150, 100), (160, 100))
    task.submit()

    answer = task.answer()["things"]
    assert answer["instances"] == [{"color": "#ff7f0e", "label": "Car"}]
    pixels = labelled_image(answer)
    assert pixels[60][105] == pixels[100][155] == ORANGE
    assert pixels[30][35] == CLEAR
    assert colours_in(pixels) == {ORANGE, CLEAR}
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
    pixels = labelled_image(answer, (1000, 600))
    assert pixels[300][550] == BLUE and pixels[300][400] == CLEAR
    assert colours_in(pixels) == {BLUE, CLEAR}
    assert task.page.console_errors == []
