"""The drawing's pure parts: how far workers' boxes agree, text cut into marked spans whatever
the spans, A/B tasks told from others, the label palette (and its stylesheet), the addresses a
page may draw, and the view model built from a task and its answers without the database."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from apps.batches.taskspec import TaskElement, task_spec
from apps.review import drawing
from apps.review.drawing import (
    PALETTE,
    ab_columns,
    box_agreement,
    box_iou,
    boxes_matched,
    entity_segments,
    label_colours,
    majority_share,
    media_policy,
    safe_colour,
    safe_src,
    src_origin,
)

REPO = Path(__file__).resolve().parents[2]


def box(label="Cat", left=0, top=0, width=10, height=10):
    return {"label": label, "left": left, "top": top, "width": width, "height": height}


# --- boxes --------------------------------------------------------------------------------


def test_iou_of_boxes_the_same_half_over_and_apart():
    assert box_iou(box(), box()) == 1.0
    assert box_iou(box(), box(left=5)) == pytest.approx(50 / 150)
    assert box_iou(box(), box(left=20)) == 0.0
    assert box_iou(box(width=0, height=0), box(width=0, height=0)) == 0.0


def test_a_box_drawn_backwards_is_the_same_box():
    assert box_iou(box(left=10, top=10, width=-10, height=-10), box()) == 1.0


def test_boxes_match_one_to_one_on_the_same_label_best_overlap_first():
    a = [box(), box(left=100)]
    b = [box(left=1), box(left=2), box("Dog", left=100)]
    pairs = boxes_matched(a, b)
    assert [(i, j) for i, j, _ in pairs] == [(0, 0)]  # the Dog is no Cat, b[1] is left over
    assert pairs[0][2] == pytest.approx(90 / 110)


def test_boxes_agreement_over_every_pair_of_workers():
    same = [box(), box("Dog", left=50)]
    assert box_agreement([same, same, same]) == drawing.BoxAgreement(3, 1.0, 1.0)
    half = box_agreement([[box(), box(left=50)], [box()]])
    assert half.matched == pytest.approx(2 / 3)  # two of the three boxes found a match
    assert half.mean_iou == 1.0 and half.matched_percent == 67
    apart = box_agreement([[box()], [box(left=500)]])
    assert apart.mean_iou is None and apart.matched == 0.0
    assert apart.mean_iou_percent is None


def test_no_agreement_with_one_worker_and_full_agreement_on_nothing():
    assert box_agreement([[box()]]) is None
    assert box_agreement([]) is None
    assert box_agreement([[], []]) == drawing.BoxAgreement(2, None, 1.0)


def test_majority_share_compares_lists_as_sets():
    assert majority_share(["a", "a", "b"]) == pytest.approx(2 / 3)
    assert majority_share([["x", "y"], ["y", "x"]]) == 1.0
    assert majority_share(["a", None]) is None
    assert majority_share(["a"]) is None


# --- entities -----------------------------------------------------------------------------


def _marked(segments):
    return [(s.text, s.labels) for s in segments]


def test_spans_mark_the_text_by_code_point():
    text = "Zoë 🙂 met Ada"
    segments, dropped = entity_segments(
        text,
        [{"label": "person", "start": 0, "end": 3}, {"label": "person", "start": 10, "end": 13}],
    )
    assert dropped == 0
    assert _marked(segments) == [
        ("Zoë", ["person"]),
        (" 🙂 met ", []),
        ("Ada", ["person"]),
    ]
    assert "".join(s.text for s in segments) == text
    assert segments[0].ends == [("person", 0)]


def test_overlapping_spans_share_the_piece_they_cover():
    segments, _ = entity_segments(
        "Grace Hopper",
        [{"label": "person", "start": 0, "end": 12}, {"label": "place", "start": 6, "end": 12}],
    )
    assert _marked(segments) == [("Grace ", ["person"]), ("Hopper", ["person", "place"])]
    assert segments[1].overlap and segments[1].ends == [("person", 0), ("place", 1)]


def test_spans_out_of_range_empty_or_malformed_are_cut_or_left_out():
    spans = [
        {"label": "a", "start": 3, "end": 999},  # cut at the end
        {"label": "b", "start": 50, "end": 60},  # past the end
        {"label": "c", "start": 2, "end": 2},  # empty
        {"label": "d", "start": -1, "end": 2},
        {"label": "e", "start": "x", "end": 2},
        {"start": 0},
        "not a span",
        None,
    ]
    segments, dropped = entity_segments("abcdef", spans)
    assert _marked(segments) == [("abc", []), ("def", ["a"])]
    assert dropped == 7


def test_a_hostile_span_stays_data():
    label = "<img src=x onerror=alert(1)>"
    segments, _ = entity_segments("<b>hi</b>", [{"label": label, "start": 0, "end": 3}])
    assert _marked(segments) == [("<b>", [label]), ("hi</b>", [])]


def test_no_text_or_no_spans():
    assert entity_segments("", [{"label": "a", "start": 0, "end": 1}]) == ([], 1)
    segments, dropped = entity_segments("plain", [])
    assert _marked(segments) == [("plain", [])] and dropped == 0


# --- A/B ----------------------------------------------------------------------------------


def _label(*options: str) -> TaskElement:
    return TaskElement("better", "crowd-classifier", "label", options=list(options))


ROW = {"prompt": "p", "response_a": "one", "response_b": "two"}


def test_ab_is_options_a_b_in_any_case_with_a_tie_and_a_column_per_letter():
    assert ab_columns(_label("A", "B"), ROW) == [("A", "response_a"), ("B", "response_b")]
    assert ab_columns(_label("a", "b", "Tie"), ROW) == [("a", "response_a"), ("b", "response_b")]
    assert ab_columns(_label("A", "B", "same"), ROW) is not None


def test_ab_takes_other_column_pairs_and_prefers_responses():
    assert ab_columns(_label("A", "B"), {"output_a": "x", "output_b": "y"}) == [
        ("A", "output_a"),
        ("B", "output_b"),
    ]
    both = {"summary_a": "1", "summary_b": "2", "response_a": "3", "response_b": "4"}
    assert ab_columns(_label("A", "B"), both)[0] == ("A", "response_a")
    three = {"out_a": "1", "out_b": "2", "out_c": "3"}
    assert [c for _, c in ab_columns(_label("A", "B", "C"), three)] == ["out_a", "out_b", "out_c"]


def test_not_ab():
    assert ab_columns(_label("A", "B"), {"response_a": "only one"}) is None
    assert ab_columns(_label("Cat", "Dog"), ROW) is None
    assert ab_columns(_label("A", "C"), {"x_a": "1", "x_c": "2"}) is None  # no b
    assert ab_columns(_label("A"), ROW) is None
    assert ab_columns(_label("A", "B", "Neither"), ROW) is None
    multi = TaskElement("better", "select", "labels", options=["A", "B"])
    assert ab_columns(multi, ROW) is None


# --- palette and addresses ----------------------------------------------------------------


def test_labels_take_colours_in_the_order_of_the_options_then_as_met():
    assert label_colours(["Cat", "Dog"], ["Bird", "Cat"]) == {"Cat": 0, "Dog": 1, "Bird": 2}
    assert drawing.colour(0) == PALETTE[0] and drawing.colour(len(PALETTE)) == PALETTE[0]
    assert len(set(PALETTE)) == len(PALETTE) == 10
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in PALETTE)


def test_the_stylesheet_has_a_class_per_palette_colour():
    css = (REPO / "static/css/drawn.css").read_text()
    for index, hexa in enumerate(PALETTE):
        assert re.search(rf"\.drawn-c{index} \{{ --c: {hexa};", css), hexa


def test_a_workers_colour_is_used_only_when_it_is_a_colour():
    assert safe_colour("#1F77B4", "#000000") == "#1f77b4"
    assert safe_colour('#ff0000" onload="x', "#000000") == "#000000"
    assert safe_colour(None, "#000000") == "#000000"


@pytest.mark.parametrize(
    ("src", "drawn", "origin"),
    [
        ("https://bucket.s3.amazonaws.com/a.jpg", True, "https://bucket.s3.amazonaws.com"),
        ("http://127.0.0.1:8000/static/a.png", True, "http://127.0.0.1:8000"),
        ("/static/starters/cat.png", True, ""),
        ("data:image/png;base64,iVBORw0KGgo=", True, ""),
        ("javascript:alert(1)", False, ""),
        ("data:text/html;base64,PHNjcmlwdD4=", False, ""),
        ("//evil.example/a.png", False, ""),
        ("https://a b/x.png", False, ""),
        ("https://host;script-src */x.png", False, ""),
        ("https://host:99999/x.png", False, ""),
        ("relative.png", False, ""),
        ("", False, ""),
    ],
)
def test_only_addresses_a_page_may_load_are_drawn(src, drawn, origin):
    assert bool(safe_src(src)) is drawn
    assert src_origin(src) == origin


def test_the_page_policy_names_the_exact_origins():
    made = [
        drawing.Drawing(blocks=[], workers=[], sources=["https://a.example/1.png"]),
        drawing.Drawing(blocks=[], workers=[], sources=["/static/x.png", "https://b.example/s"]),
        None,
    ]
    assert media_policy(made) == {
        "img-src": ["https://a.example", "https://b.example"],
        "media-src": ["'self'", "https://a.example", "https://b.example"],
    }
    assert media_policy([None]) == {}


# --- the view model -----------------------------------------------------------------------

TEMPLATE = """<crowd-form>
<crowd-bounding-box name="box" src="${img}" labels="['Cat', 'Dog']"></crowd-bounding-box>
<crowd-semantic-segmentation name="paint" src="${img}" labels="['Cat']">
</crowd-semantic-segmentation>
<crowd-image-classifier name="kind" src="${img}" categories="['Cat', 'Dog']">
</crowd-image-classifier>
<p>How sure are you?</p><crowd-slider name="sure" min="1" max="5"></crowd-slider>
</crowd-form>"""


def _assignment(pk, worker, task, status="Submitted"):
    return SimpleNamespace(
        pk=pk, mturk_id=f"A{pk}", worker_id=worker, status=status, answers={}, task_answers=task
    )


def _answer(boxes, label="Cat", png="iVBORw0KGgo="):
    return {
        "box": {"boundingBoxes": boxes, "inputImageProperties": {"width": 640, "height": 480}},
        "paint": {
            "labelMappings": {"Cat": {"color": "#ABCDEF"}},
            "labeledImage": {"pngImageData": png},
        },
        "kind": {"label": label},
        "sure": 4,
    }


def _drawn(assignments, own=None):
    spec = task_spec(TEMPLATE, {"img": "https://img.example/a.png"})
    return drawing.task_drawing(spec, {}, assignments, own=own)


def test_a_card_draws_its_workers_shapes_on_the_images_size_and_the_others_as_layers():
    mine = _assignment(1, "AMINE", _answer([box(left=10, top=20, width=30, height=40)]))
    other = _assignment(2, "AOTHER", _answer([box(left=11, top=20, width=30, height=40)], "Dog"))
    made = _drawn([mine, other], own=mine)
    figure, mask, choice, table = made.blocks
    assert figure.view_box == "0 0 640 480"
    assert [layer.who.worker_id for layer in figure.layers] == ["AMINE", "AOTHER"]
    assert [layer.on for layer in figure.layers] == [True, False]  # the others a tick away
    rect = figure.layers[0].shapes[0]
    assert (rect.tag, rect.x, rect.y, rect.width, rect.height) == ("rect", "10", "20", "30", "40")
    assert rect.colour == PALETTE[0]
    assert figure.agreement.matched == 1.0
    assert mask.layers[0].mask == "data:image/png;base64,iVBORw0KGgo="
    assert [(i.label, i.colour) for i in mask.legend] == [("Cat", "#abcdef")]
    # Everything else is the card's worker's alone.
    assert [(o.label, o.chosen) for o in choice.options] == [("Cat", True), ("Dog", False)]
    assert choice.image == "https://img.example/a.png" and choice.voters == 1
    assert table.rows[0].question == "How sure are you?"
    assert [c.text for c in table.rows[0].cells] == ["4"]
    assert made.origins == {"https://img.example"}


def test_a_results_drawing_counts_every_worker():
    made = _drawn(
        [
            _assignment(1, "AONE", _answer([box()], "Cat")),
            _assignment(2, "ATWO", _answer([box()], "Cat")),
            _assignment(3, "ATHREE", _answer([], "Dog")),
        ]
    )
    figure, _, choice, table = made.blocks
    assert all(layer.on for layer in figure.layers)
    assert [(o.label, o.count) for o in choice.options] == [("Cat", 2), ("Dog", 1)]
    assert choice.agreement_percent == 67
    assert [c.text for c in table.rows[0].cells] == ["4", "4", "4"]


def test_shapes_of_no_number_and_a_mask_of_no_base64_are_left_out():
    task = _answer(
        [box(left=float("nan")), box(left=float("inf")), box(left=1e12), box(left=5)],
        png='"><script>alert(1)</script>',
    )
    figure, mask, *_ = _drawn([_assignment(1, "AONE", task)]).blocks
    assert [s.x for s in figure.layers[0].shapes] == ["5"]
    assert mask.layers[0].mask == "" and mask.empty


def test_the_aggregated_answer_is_one_more_layer_and_a_summary():
    spec = task_spec(TEMPLATE, {"img": "/static/a.png"})
    made = drawing.task_drawing(spec, {}, [_assignment(1, "AONE", _answer([box()]))], own=None)
    results = {
        "box": SimpleNamespace(value=[box("Bird", left=3)], confidence=0.9, agreement=0.5),
        "kind": SimpleNamespace(value="Cat", confidence=None, agreement=float("nan")),
    }
    drawing.aggregate_add(made, spec, results)
    layer = made.blocks[0].layers[-1]
    assert layer.who.aggregated and [(s.label, s.x) for s in layer.shapes] == [("Bird", "3")]
    assert [(s.name, s.text, s.confidence, s.agreement) for s in made.aggregate] == [
        ("box", "1 box (1 Bird)", 90, 50),
        ("kind", "Cat", None, None),
    ]
