"""The task a template asks, read per row, and each element's answer in its kind's shape."""

from apps.batches.taskspec import (
    BOXES,
    ENTITIES,
    FLAG,
    LABEL,
    LABELS,
    NUMBER,
    SEMANTIC,
    TEXT,
    answer_value,
    image_size,
    options_parse,
    task_spec,
)

TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <img src="${image_url}" alt="The photo">
  <audio controls src="${audio_url}"></audio>
  <p>How do you feel about it?</p>
  <crowd-radio-group>
    <crowd-radio-button name="feeling" value="good">Good</crowd-radio-button>
    <crowd-radio-button name="feeling" value="bad">Bad</crowd-radio-button>
  </crowd-radio-group>
  <crowd-classifier name="kind" categories="['Cat', 'Dog']" header="What is it?"></crowd-classifier>
  <crowd-image-classifier-multi-select name="tags" src="${image_url}"
    categories='["Indoor", "Outdoor"]'></crowd-image-classifier-multi-select>
  <crowd-checkbox name="issues" value="blurry">Blurry</crowd-checkbox>
  <crowd-checkbox name="issues" value="dark">Dark</crowd-checkbox>
  <crowd-toggle-button name="safe"></crowd-toggle-button>
  <crowd-slider name="score" min="1" max="5"></crowd-slider>
  <crowd-text-area name="transcript"></crowd-text-area>
  <crowd-bounding-box name="box" src="${image_url}" labels="['car', 'person']"></crowd-bounding-box>
  <crowd-semantic-segmentation name="mask" src="${image_url}" labels='["road"]'>
  </crowd-semantic-segmentation>
  <crowd-entity-annotation name="ner" text="${text}"
    labels="[{label: 'person', shortDisplayName: 'per'}, {label: 'place'}]">
  </crowd-entity-annotation>
  <input type="hidden" name="workerId" value="x">
  <select name="size"><option>Small</option><option value="L">Large</option></select>
</crowd-form>"""

ROW = {
    "image_url": "https://example.com/a.png",
    "audio_url": "https://example.com/a.wav",
    "text": 'Ada "went" <home>',
}


def _spec():
    return task_spec(TEMPLATE, ROW)


def test_every_answering_element_is_read_with_its_kind_and_options():
    spec = _spec()
    kinds = {e.name: (e.kind, e.options) for e in spec.elements}
    assert kinds == {
        "feeling": (LABEL, ["good", "bad"]),
        "kind": (LABEL, ["Cat", "Dog"]),
        "tags": (LABELS, ["Indoor", "Outdoor"]),
        "issues": (LABELS, ["blurry", "dark"]),
        "safe": (FLAG, []),
        "score": (NUMBER, []),
        "transcript": (TEXT, []),
        "box": (BOXES, ["car", "person"]),
        "mask": (SEMANTIC, ["road"]),
        "ner": (ENTITIES, ["person", "place"]),
        "size": (LABEL, ["Small", "L"]),
    }
    assert spec.crowd_form
    assert spec.element("feeling").header == "How do you feel about it?"
    assert spec.element("kind").header == "What is it?"


def test_the_row_fills_sources_and_text_unescaped_once():
    spec = _spec()
    assert spec.element("box").src == ROW["image_url"]
    assert spec.element("ner").text == ROW["text"]
    assert [(m.tag, m.src) for m in spec.media] == [
        ("img", ROW["image_url"]),
        ("audio", ROW["audio_url"]),
    ]


def test_answers_read_in_one_shape_per_kind():
    spec = _spec()
    task = {
        "feeling": {"good": False, "bad": True},
        "kind": {"label": "Dog"},
        "tags": {"labels": ["Outdoor"]},
        "issues": {"blurry": True, "dark": False},
        "safe": {"on": True},
        "score": 4,
        "transcript": "hello",
        "box": {
            "boundingBoxes": [{"label": "car", "left": 1, "top": 2, "width": 30, "height": 40}],
            "inputImageProperties": {"width": 800, "height": 600},
        },
        "mask": {
            "labeledImage": {"pngImageData": "iVBOR"},
            "labelMappings": {"road": {"color": "#1f77b4"}},
        },
        "ner": {
            "entities": [
                {"label": "place", "startOffset": 12, "endOffset": 16},
                {"label": "person", "startOffset": 0, "endOffset": 3},
            ]
        },
    }
    got = {e.name: answer_value(e, {"size": "L"}, task) for e in spec.elements}
    assert got == {
        "feeling": "bad",
        "kind": "Dog",
        "tags": ["Outdoor"],
        "issues": ["blurry"],
        "safe": True,
        "score": 4.0,
        "transcript": "hello",
        "box": [{"label": "car", "left": 1.0, "top": 2.0, "width": 30.0, "height": 40.0}],
        "mask": {"png": "iVBOR", "labels": {"road": "#1f77b4"}},
        "ner": [
            {"label": "person", "start": 0, "end": 3},
            {"label": "place", "start": 12, "end": 16},
        ],
        "size": "L",
    }
    assert image_size(task, spec.element("box")) == (800, 600)


def test_hostile_answers_of_the_wrong_shape_read_as_none_or_are_left_out():
    spec = _spec()
    task = {
        "kind": ["x", "y"],
        "box": {
            "boundingBoxes": [
                {"label": "car", "left": "a"},
                "junk",
                {"left": 1, "top": 1, "width": 2, "height": 2},
            ]
        },
        "mask": {"labeledImage": "not an object"},
        "ner": {
            "entities": [
                {"startOffset": 5, "endOffset": 2},
                {"startOffset": "0", "endOffset": "2", "label": "<b>"},
            ]
        },
        "score": "lots",
    }
    assert answer_value(spec.element("kind"), {}, task) is None
    assert answer_value(spec.element("box"), {}, task) == [
        {"left": 1.0, "top": 1.0, "width": 2.0, "height": 2.0, "label": ""}
    ]
    assert answer_value(spec.element("mask"), {}, task) is None
    assert answer_value(spec.element("ner"), {}, task) == [{"label": "<b>", "start": 0, "end": 2}]
    assert answer_value(spec.element("score"), {}, task) is None
    assert image_size(task, spec.element("box")) is None


def test_flattened_answers_are_read_when_the_object_is_not_kept():
    spec = _spec()
    flat = {"kind.label": "Cat", "feeling.good": "true", "feeling.bad": "false"}
    assert answer_value(spec.element("kind"), flat, None) == "Cat"
    assert answer_value(spec.element("feeling"), flat, None) == "good"


def test_option_lists_in_the_ways_templates_write_them():
    assert options_parse("['a', 'b', 'a']") == ["a", "b"]
    assert options_parse('["x"]') == ["x"]
    assert options_parse("[{label: 'Person', shortDisplayName: 'per'}]") == ["Person"]
    assert options_parse("red, green") == ["red", "green"]
    assert options_parse("") == []
    assert options_parse("__import__('os').system('true')") == ["__import__('os').system('true')"]


def test_templates_other_than_html_have_no_elements():
    assert task_spec("https://example.com/${x}", {"x": "1"}, kind="external").elements == []
