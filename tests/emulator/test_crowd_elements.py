"""The simulated crowd answers every Crowd HTML Element in its documented output shape, and its
quality (diligent, careless, spammer) shows in those answers."""

from __future__ import annotations

import json
import re

from tests.emulator.png import decode_png, hex_colour, png_data_url

from .conftest import create_hit
from .crowd.conftest import html_question, task_answers

IMAGE = png_data_url(64, 48, rectangles=((10, 8, 20, 16, (200, 30, 30)),))
TEXT = "Ada Lovelace met Charles Babbage in London in 1833."
LABELS = "['Cat', 'Dog']"

EVERY_ELEMENT = f"""<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
<crowd-bounding-box name="box" src="{IMAGE}" labels="{LABELS}" header="Boxes"></crowd-bounding-box>
<crowd-keypoint name="points" src="{IMAGE}" labels="{LABELS}"></crowd-keypoint>
<crowd-line name="line" src="{IMAGE}" labels="['edge']"></crowd-line>
<crowd-polyline name="path" src="{IMAGE}" labels="['road']"></crowd-polyline>
<crowd-polygon name="outline" src="{IMAGE}" labels="{LABELS}"></crowd-polygon>
<crowd-semantic-segmentation name="paint" src="{IMAGE}" labels="{LABELS}">
</crowd-semantic-segmentation>
<crowd-instance-segmentation name="instances" src="{IMAGE}" labels="{LABELS}">
</crowd-instance-segmentation>
<crowd-entity-annotation name="people" text="{TEXT}"
  labels="[{{label: 'person', shortDisplayName: 'per'}}, {{label: 'place'}}]">
</crowd-entity-annotation>
<crowd-classifier-multi-select name="topics" categories="['Art', 'Maths', 'Travel']">
</crowd-classifier-multi-select>
<crowd-image-classifier name="kind" src="{IMAGE}" categories="['Cat', 'Dog']">
</crowd-image-classifier>
<crowd-image-classifier-multi-select name="tags" src="{IMAGE}" categories="['red', 'dark']">
</crowd-image-classifier-multi-select>
<crowd-slider name="score" min="1" max="10" step="1"></crowd-slider>
<crowd-toggle-button name="sure" value="yes"></crowd-toggle-button>
<crowd-classifier name="mood" categories="['happy', 'sad']"></crowd-classifier>
</crowd-form>"""

IMAGE_PROPERTIES = {"height": 48, "width": 64}


def crowd_answers(mturk, emulator, html: str, *, profile: str, count: int = 1, truth=None):
    hit = create_hit(mturk, Question=html_question(html), MaxAssignments=count)
    if truth:
        emulator.crowd_truth(hit["HITId"], truth)
    done = emulator.crowd_work(
        HITIds=[hit["HITId"]], assignments=count, profile=profile, seed="elements"
    )
    return [
        task_answers(mturk.get_assignment(AssignmentId=a["AssignmentId"])["Assignment"]["Answer"])
        for a in done["Actions"]
    ]


def inside(x: int, y: int) -> bool:
    return 0 <= x < 64 and 0 <= y < 48


def test_every_element_gets_its_documented_output(mturk, emulator):
    (answer,) = crowd_answers(mturk, emulator, EVERY_ELEMENT, profile="diligent")
    assert set(answer) == {
        "box",
        "points",
        "line",
        "path",
        "outline",
        "paint",
        "instances",
        "people",
        "topics",
        "kind",
        "tags",
        "score",
        "sure",
        "mood",
    }

    assert answer["box"]["inputImageProperties"] == IMAGE_PROPERTIES
    assert answer["box"]["boundingBoxes"]
    for box in answer["box"]["boundingBoxes"]:
        assert set(box) == {"label", "left", "top", "width", "height"}
        assert box["label"] in {"Cat", "Dog"}
        assert all(isinstance(box[k], int) for k in ("left", "top", "width", "height"))
        assert box["width"] > 0 and box["height"] > 0
        assert box["left"] + box["width"] <= 64 and box["top"] + box["height"] <= 48

    assert answer["points"]["inputImageProperties"] == IMAGE_PROPERTIES
    for point in answer["points"]["keypoints"]:
        assert set(point) == {"label", "x", "y"} and inside(point["x"], point["y"])

    (line,) = answer["line"]["lines"]
    assert line["label"] == "edge" and len(line["vertices"]) == 2
    for name, key, least in (("path", "polylines", 2), ("outline", "polygons", 3)):
        assert answer[name]["inputImageProperties"] == IMAGE_PROPERTIES
        for shape in answer[name][key]:
            assert set(shape) == {"label", "vertices"} and len(shape["vertices"]) >= least
            assert all(set(v) == {"x", "y"} and inside(v["x"], v["y"]) for v in shape["vertices"])

    paint = answer["paint"]
    assert set(paint) == {"inputImageProperties", "labelMappings", "labeledImage"}
    assert set(paint["labelMappings"]) <= {"Cat", "Dog"}
    assert all(set(m) == {"color"} for m in paint["labelMappings"].values())
    width, height, pixels = decode_png(paint["labeledImage"]["pngImageData"])
    assert (width, height) == (64, 48)
    painted = {hex_colour(p) for row in pixels for p in row if p[3]}
    assert painted == {m["color"] for m in paint["labelMappings"].values()}

    instances = answer["instances"]
    assert set(instances) == {"inputImageProperties", "instances", "labeledImage"}
    colours = [i["color"] for i in instances["instances"]]
    assert len(colours) == len(set(colours)), "each instance has its own colour"
    assert all(i["label"] in {"Cat", "Dog"} for i in instances["instances"])

    entities = answer["people"]["entities"]
    assert entities
    for entity in entities:
        assert set(entity) == {"label", "startOffset", "endOffset"}
        assert entity["label"] in {"person", "place"}
        span = TEXT[entity["startOffset"] : entity["endOffset"]]
        assert re.fullmatch(r"\w+", span), f"spans cover whole words, not {span!r}"

    assert set(answer["topics"]) == {"labels"}
    assert set(answer["topics"]["labels"]) <= {"Art", "Maths", "Travel"}
    assert answer["kind"]["label"] in {"Cat", "Dog"}
    assert set(answer["tags"]["labels"]) <= {"red", "dark"}
    assert answer["score"] in range(1, 11)
    assert set(answer["sure"]) == {"yes"} and isinstance(answer["sure"]["yes"], bool)
    assert answer["mood"]["label"] in {"happy", "sad"}


BOX_TASK = f"""<crowd-form><crowd-bounding-box name="box" src="{IMAGE}" labels="{LABELS}">
</crowd-bounding-box></crowd-form>"""
TRUE_BOX = {"label": "Cat", "left": 10, "top": 8, "width": 20, "height": 16}


def near(box: dict, truth: dict, pixels: int) -> bool:
    return box["label"] == truth["label"] and all(
        abs(box[k] - truth[k]) <= pixels for k in ("left", "top", "width", "height")
    )


def boxes_right(answers: list[dict]) -> int:
    return sum(
        1
        for a in answers
        if len(a["box"]["boundingBoxes"]) == 1 and near(a["box"]["boundingBoxes"][0], TRUE_BOX, 2)
    )


def test_diligent_workers_box_the_object_the_truth_names_and_spammers_do_not(mturk, emulator):
    truth = {"box": {"boundingBoxes": [TRUE_BOX]}}
    diligent = crowd_answers(mturk, emulator, BOX_TASK, profile="diligent", count=8, truth=truth)
    careless = crowd_answers(mturk, emulator, BOX_TASK, profile="careless", count=8, truth=truth)
    spammer = crowd_answers(mturk, emulator, BOX_TASK, profile="spammer", count=8, truth=truth)
    assert boxes_right(diligent) >= 6
    assert boxes_right(careless) < boxes_right(diligent)
    assert boxes_right(spammer) == 0
    # Whatever their care, every answer keeps the documented shape and stays on the image.
    for answer in diligent + careless + spammer:
        assert answer["box"]["inputImageProperties"] == IMAGE_PROPERTIES
        for box in answer["box"]["boundingBoxes"]:
            assert box["left"] + box["width"] <= 64 and box["top"] + box["height"] <= 48


ENTITY_TASK = f"""<crowd-form><crowd-entity-annotation name="ner" text="{TEXT}"
labels="[{{label: 'person'}}, {{label: 'place'}}]"></crowd-entity-annotation></crowd-form>"""


def test_entity_spans_follow_the_truth_over_real_words(mturk, emulator):
    truth = {
        "ner": {
            "entities": [
                {"label": "person", "startOffset": 0, "endOffset": 12},
                {"label": "place", "startOffset": 36, "endOffset": 42},
            ]
        }
    }
    answers = crowd_answers(mturk, emulator, ENTITY_TASK, profile="diligent", count=6, truth=truth)
    exact = [a for a in answers if a["ner"] == truth["ner"]]
    assert len(exact) >= 4
    assert TEXT[0:12] == "Ada Lovelace" and TEXT[36:42] == "London"
    spam = crowd_answers(mturk, emulator, ENTITY_TASK, profile="spammer", count=4, truth=truth)
    assert all(a["ner"] != truth["ner"] for a in spam)
    for answer in answers + spam:
        for entity in answer["ner"]["entities"]:
            assert TEXT[entity["startOffset"]].isalnum() and TEXT[entity["endOffset"] - 1].isalnum()


SEGMENT_TASK = f"""<crowd-form><crowd-semantic-segmentation name="seg" src="{IMAGE}"
labels="{LABELS}"></crowd-semantic-segmentation></crowd-form>"""


def test_segmentation_paints_the_truth_region_in_the_label_colour(mturk, emulator):
    truth = {"seg": [{"label": "Dog", "left": 10, "top": 8, "width": 20, "height": 16}]}
    (answer,) = crowd_answers(mturk, emulator, SEGMENT_TASK, profile="diligent", truth=truth)
    mapping = answer["seg"]["labelMappings"]
    assert list(mapping) == ["Dog"]
    _, _, pixels = decode_png(answer["seg"]["labeledImage"]["pngImageData"])
    assert hex_colour(pixels[16][20]) == mapping["Dog"]["color"]  # the region's middle
    assert pixels[0][0][3] == 0 and pixels[47][63][3] == 0  # unpainted: transparent


SCALE_TASK = """<crowd-form>
<crowd-slider name="score" min="0" max="100" step="5"></crowd-slider>
<crowd-classifier-multi-select name="topics" categories="['a', 'b', 'c', 'd']">
</crowd-classifier-multi-select>
<crowd-toggle-button name="flag"></crowd-toggle-button>
</crowd-form>"""


def test_sliders_stay_on_their_steps_and_multi_selects_follow_the_truth(mturk, emulator):
    truth = {"score": 40, "topics": ["b", "d"], "flag": True}
    diligent = crowd_answers(mturk, emulator, SCALE_TASK, profile="diligent", count=6, truth=truth)
    spammer = crowd_answers(mturk, emulator, SCALE_TASK, profile="spammer", count=6, truth=truth)
    for answer in diligent + spammer:
        assert answer["score"] in range(0, 101, 5)
        assert set(answer["flag"]) == {"on"}
    assert sum(a["score"] == 40 for a in diligent) >= 4
    assert sum(a["topics"] == {"labels": ["b", "d"]} for a in diligent) >= 4
    assert sum(a["flag"] == {"on": True} for a in diligent) >= 4
    assert len({json.dumps(a, sort_keys=True) for a in spammer}) > 1


def test_the_same_seed_gives_the_same_drawings(mturk, emulator):
    first = crowd_answers(mturk, emulator, EVERY_ELEMENT, profile="average", count=2)
    second = crowd_answers(mturk, emulator, EVERY_ELEMENT, profile="average", count=2)
    assert first == second


CHECKBOX_TASK = """<crowd-form>
<crowd-checkbox name="flaws" value="blurry">Blurry</crowd-checkbox>
<crowd-checkbox name="flaws" value="dim">Too dim</crowd-checkbox>
<crowd-checkbox name="sure">Sure</crowd-checkbox>
<crowd-radio-group>
<crowd-radio-button name="keep" value="yes">Keep</crowd-radio-button>
<crowd-radio-button name="drop" value="no">Drop</crowd-radio-button>
</crowd-radio-group>
</crowd-form>"""


def test_check_boxes_and_radio_buttons_answer_under_their_values(mturk, emulator):
    """The reference: "the `value` string is the property name for a Boolean value based on the
    check box state", boxes sharing a name in one object; a radio button `{"<name>":
    {"<value>": <true or false>}}`, "on" when no value is given."""
    truth = {"flaws": ["dim"], "sure": "true", "radio-group-2": "drop"}
    diligent = crowd_answers(
        mturk, emulator, CHECKBOX_TASK, profile="diligent", count=6, truth=truth
    )
    for answer in diligent:
        assert set(answer) == {"flaws", "sure", "keep", "drop"}
        assert set(answer["flaws"]) == {"blurry", "dim"} and set(answer["sure"]) == {"on"}
        assert set(answer["keep"]) == {"yes"} and set(answer["drop"]) == {"no"}
    right = {"flaws": {"blurry": False, "dim": True}, "sure": {"on": True}}
    assert sum({k: a[k] for k in right} == right for a in diligent) >= 4
    assert sum(a["drop"] == {"no": True} and a["keep"] == {"yes": False} for a in diligent) >= 4


LIKERT_TASK = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
<p>The checkout was easy.</p>
<crowd-radio-group name="ease">
<crowd-radio-button name="agreement" value="1">Disagree</crowd-radio-button>
<crowd-radio-button name="agreement" value="2">Neutral</crowd-radio-button>
<crowd-radio-button name="agreement" value="3">Agree</crowd-radio-button>
</crowd-radio-group>
<crowd-classifier name="mood" categories="['happy', 'sad']"></crowd-classifier>
</crowd-form>"""


def test_radio_buttons_sharing_a_name_answer_as_one_object_a_key_per_value(mturk, emulator):
    """A Likert scale written with one name for every button: the crowd script submits one
    object, `{"agreement": {"1": false, "2": false, "3": true}}`, and so does the crowd; a
    classifier's truth given in its output shape, `{"label": ...}`, is its label."""
    truth = {"ease": "2", "mood": {"label": "sad"}}
    answers = crowd_answers(mturk, emulator, LIKERT_TASK, profile="diligent", count=6, truth=truth)
    for answer in answers:
        assert set(answer) == {"agreement", "mood"}
        assert set(answer["agreement"]) == {"1", "2", "3"}
        assert sum(answer["agreement"].values()) == 1
    scale = {"1": False, "2": True, "3": False}
    assert sum(a["agreement"] == scale for a in answers) >= 4
    assert sum(a["mood"] == {"label": "sad"} for a in answers) >= 4


def test_a_self_contained_entity_annotation_is_answered_with_task_answers(mturk, emulator):
    """The reference: crowd-entity-annotation "contains its own form submission logic", so it
    is written without a crowd-form, and still answers in taskAnswers."""
    text = "Grace Hopper worked in Arlington."
    html = (
        "<crowd-entity-annotation name=\"ner\" labels=\"[{label: 'person'}, {label: 'place'}]\""
        f' text="{text}"></crowd-entity-annotation>'
    )
    truth = {"ner": {"entities": [{"label": "person", "startOffset": 0, "endOffset": 12}]}}
    answers = crowd_answers(mturk, emulator, html, profile="diligent", count=3, truth=truth)
    assert sum(a == truth for a in answers) >= 2
    for answer in answers:
        assert set(answer) == {"ner"}
