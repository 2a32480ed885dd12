"""Image annotation with shapes, worked with the mouse and keyboard as a worker would:
crowd-bounding-box, crowd-keypoint, crowd-line, crowd-polygon and crowd-polyline, each
answering in integer pixels of the original image."""

from __future__ import annotations

import pytest

from tests.emulator.crowd.conftest import Surface, png_data_url

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 320, 200
IMAGE = png_data_url(WIDTH, HEIGHT, rectangles=((40, 40, 80, 60, (200, 60, 60)),))
IMAGE_PROPERTIES = {"height": HEIGHT, "width": WIDTH}


def test_it_draws_bounding_boxes_with_the_labels_chosen(crowd_task):
    task = crowd_task(
        f'<crowd-bounding-box name="annotatedResult" src="{IMAGE}"'
        " header=\"Draw a box around each animal\" labels=\"['Cat', 'Dog']\">"
        '<full-instructions header="Box instructions"><p>Leave a small margin.</p></full-instructions>'
        "<short-instructions>Draw boxes around the animals.</short-instructions>"
        "</crowd-bounding-box>"
    )
    surface = Surface(task, "crowd-bounding-box")
    assert surface.element.locator("h3").inner_text() == "Draw a box around each animal"
    assert "Draw boxes around the animals." in surface.element.inner_text()
    assert surface.element.locator("summary").inner_text() == "Box instructions"

    surface.drag((40, 40), (120, 100))
    surface.choose_label("Dog")
    surface.drag((300, 190), (200, 110))
    task.submit()

    assert task.answer() == {
        "annotatedResult": {
            "boundingBoxes": [
                {"label": "Cat", "left": 40, "top": 40, "width": 80, "height": 60},
                {"label": "Dog", "left": 200, "top": 110, "width": 100, "height": 80},
            ],
            "inputImageProperties": IMAGE_PROPERTIES,
        }
    }
    assert task.page.console_errors == []


def test_it_adjusts_the_initial_boxes_deleting_relabelling_and_resizing(crowd_task):
    initial = (
        "[{label: 'Cat', left: 10, top: 10, width: 50, height: 40},"
        " {label: 'Cat', left: 100, top: 50, width: 60, height: 60},"
        " {label: 'Horse', left: 5, top: 5, width: 5, height: 5},]"
    )
    task = crowd_task(
        f'<crowd-bounding-box name="boxes" src="{IMAGE}" labels="[\'Cat\', \'Dog\']"'
        f' initial-value="{initial}"></crowd-bounding-box>'
    )
    surface = Surface(task, "crowd-bounding-box")
    rows = surface.element.locator(".crowd-annotate-shapes li")
    assert rows.count() == 2

    surface.click(30, 30)
    surface.press("Delete")
    assert rows.count() == 1
    rows.first.locator("select").select_option("Dog")
    surface.click(120, 70)
    surface.drag((160, 110), (180, 150))
    task.submit()

    assert task.answer() == {
        "boxes": {
            "boundingBoxes": [{"label": "Dog", "left": 100, "top": 50, "width": 80, "height": 100}],
            "inputImageProperties": IMAGE_PROPERTIES,
            "initialValueModified": True,
        }
    }
    assert task.page.console_errors == []


def test_it_says_initial_boxes_left_alone_were_not_modified(crowd_task):
    task = crowd_task(
        f'<crowd-bounding-box name="boxes" src="{IMAGE}" labels="[\'Cat\']"'
        " initial-value=\"[{'label': 'Cat', 'left': 10, 'top': 20, 'width': 30, 'height': 40}]\">"
        "</crowd-bounding-box>"
    )
    Surface(task, "crowd-bounding-box")
    task.submit()
    assert task.answer() == {
        "boxes": {
            "boundingBoxes": [{"label": "Cat", "left": 10, "top": 20, "width": 30, "height": 40}],
            "inputImageProperties": IMAGE_PROPERTIES,
            "initialValueModified": False,
        }
    }


def test_it_places_keypoints_and_moves_one(crowd_task):
    task = crowd_task(
        f'<crowd-keypoint name="crowdKeypoint" src="{IMAGE}" header="Mark the eyes and beak"'
        " labels=\"['Left Eye', 'Beak']\""
        " initial-value=\"[{'label': 'Beak', 'x': 300, 'y': 20}, {'label': 'Tail', 'x': 1, 'y': 1}]\">"
        "</crowd-keypoint>"
    )
    surface = Surface(task, "crowd-keypoint")
    surface.click(50, 60)
    surface.choose_label("Beak")
    surface.click(70, 80)
    surface.drag((300, 20), (310, 190))
    task.submit()

    assert task.answer() == {
        "crowdKeypoint": {
            "inputImageProperties": IMAGE_PROPERTIES,
            "keypoints": [
                {"label": "Beak", "x": 310, "y": 190},
                {"label": "Left Eye", "x": 50, "y": 60},
                {"label": "Beak", "x": 70, "y": 80},
            ],
        }
    }
    assert task.page.console_errors == []


def test_it_draws_lines_by_two_clicks_or_a_drag(crowd_task):
    initial = (
        "{ lines: [ { label: 'sideline', // the one already there\n"
        " vertices: [ {x: 84, y: 110}, {x: 60, y: 100} ] } ] }"
    )
    task = crowd_task(
        f'<crowd-line name="crowdLine" src="{IMAGE}" header="Trace the lines"'
        " labels=\"['sideline', 'yardline']\" label-colors=\"['#ff0000', '#00ff00']\""
        f' initial-value="{initial}"></crowd-line>'
    )
    surface = Surface(task, "crowd-line")
    surface.choose_label("yardline")
    surface.click(10, 20)
    surface.click(200, 150)
    surface.drag((300, 10), (250, 60))
    task.submit()

    assert task.answer() == {
        "crowdLine": {
            "inputImageProperties": IMAGE_PROPERTIES,
            "lines": [
                {"label": "sideline", "vertices": [{"x": 84, "y": 110}, {"x": 60, "y": 100}]},
                {"label": "yardline", "vertices": [{"x": 10, "y": 20}, {"x": 200, "y": 150}]},
                {"label": "yardline", "vertices": [{"x": 300, "y": 10}, {"x": 250, "y": 60}]},
            ],
            "initialValueModified": True,
        }
    }
    assert task.page.console_errors == []


def test_it_draws_polygons_closed_by_the_first_point_or_enter(crowd_task):
    task = crowd_task(
        f'<crowd-polygon name="annotatedResult" src="{IMAGE}" header="Outline the animals"'
        " labels=\"['Cat', 'Dog']\"></crowd-polygon>"
    )
    surface = Surface(task, "crowd-polygon")
    for x, y in ((40, 40), (120, 40), (120, 100), (40, 100), (40, 40)):
        surface.click(x, y)
    surface.choose_label("Dog")
    for x, y in ((200, 50), (300, 60), (310, 180)):
        surface.click(x, y)
    surface.press("Control+z")
    surface.click(300, 150)
    surface.click(250, 20)
    status = surface.element.locator(".crowd-annotate-status")
    assert status.inner_text() == "A polygon's edges may not cross: place the point elsewhere."
    surface.click(250, 150)
    surface.press("Enter")
    surface.click(80, 40)
    surface.drag((120, 100), (130, 110))
    task.submit()

    assert task.answer() == {
        "annotatedResult": {
            "inputImageProperties": IMAGE_PROPERTIES,
            "polygons": [
                {
                    "label": "Cat",
                    "vertices": [
                        {"x": 40, "y": 40},
                        {"x": 120, "y": 40},
                        {"x": 130, "y": 110},
                        {"x": 40, "y": 100},
                    ],
                },
                {
                    "label": "Dog",
                    "vertices": [
                        {"x": 200, "y": 50},
                        {"x": 300, "y": 60},
                        {"x": 300, "y": 150},
                        {"x": 250, "y": 150},
                    ],
                },
            ],
        }
    }
    assert task.page.console_errors == []


def test_it_refuses_a_half_drawn_polygon(crowd_task):
    task = crowd_task(
        f'<crowd-polygon name="outline" src="{IMAGE}" header="Outline the cat"'
        " labels=\"['Cat']\"></crowd-polygon>"
    )
    surface = Surface(task, "crowd-polygon")
    surface.click(10, 10)
    surface.click(100, 10)
    task.refused("Finish the polygon you are drawing on Outline the cat")
    surface.click(100, 100)
    surface.press("Enter")
    task.submit()
    assert task.answer() == {
        "outline": {
            "inputImageProperties": IMAGE_PROPERTIES,
            "polygons": [
                {
                    "label": "Cat",
                    "vertices": [{"x": 10, "y": 10}, {"x": 100, "y": 10}, {"x": 100, "y": 100}],
                }
            ],
        }
    }


def test_it_draws_polylines_finished_with_enter(crowd_task):
    initial = (
        "{polylines: [{label: 'sideline', vertices: [{x: 5, y: 6}, {x: 7, y: 8}, {x: 9, y: 10}]}]}"
    )
    task = crowd_task(
        f'<crowd-polyline name="crowdPolyline" src="{IMAGE}" header="Trace the lines"'
        f" labels=\"['sideline', 'yardline']\" initial-value=\"{initial}\"></crowd-polyline>"
    )
    surface = Surface(task, "crowd-polyline")
    surface.choose_label("yardline")
    surface.click(60, 60)
    surface.click(90, 90)
    surface.press("Escape")
    surface.click(20, 30)
    surface.press("Enter")
    assert "at least 2 points" in surface.element.locator(".crowd-annotate-status").inner_text()
    for x, y in ((150, 40), (150, 40), (250, 190)):
        surface.click(x, y)
    surface.press("Enter")
    surface.element.locator(".crowd-annotate-shapes li").first.click(position={"x": 4, "y": 4})
    surface.press("Backspace")
    task.submit()

    assert task.answer() == {
        "crowdPolyline": {
            "inputImageProperties": IMAGE_PROPERTIES,
            "polylines": [
                {
                    "label": "yardline",
                    "vertices": [{"x": 20, "y": 30}, {"x": 150, "y": 40}, {"x": 250, "y": 190}],
                }
            ],
            "initialValueModified": True,
        }
    }
    assert task.page.console_errors == []


def test_it_answers_in_pixels_of_the_original_image_when_the_image_is_shown_smaller(crowd_task):
    wide = png_data_url(2000, 300)
    task = crowd_task(
        f'<crowd-bounding-box name="boxes" src="{wide}" labels="[\'Car\']"></crowd-bounding-box>'
    )
    surface = Surface(task, "crowd-bounding-box")
    assert surface.image.bounding_box()["width"] < 1200
    surface.drag((100, 50), (1500, 250))
    task.submit()

    answer = task.answer()["boxes"]
    assert answer["inputImageProperties"] == {"height": 300, "width": 2000}
    [box] = answer["boundingBoxes"]
    assert box["label"] == "Car"
    expected = {"left": 100, "top": 50, "width": 1400, "height": 200}
    # One screen pixel covers about two image pixels here: rounding may move an edge by one.
    assert all(abs(box[key] - value) <= 1 for key, value in expected.items()), box
    assert sorted(box) == ["height", "label", "left", "top", "width"]
