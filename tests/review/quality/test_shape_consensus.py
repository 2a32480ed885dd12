"""Shapes drawn by several workers on one image, made one: boxes, keypoints, lines, polylines
and polygons, with outliers dropped and hostile shapes ignored."""

from __future__ import annotations

import random

import pytest

from apps.review.quality.shape_consensus import box_iou, common_size, shapes_consensus

SIZE = (800, 600)
CAT = {"label": "cat", "left": 100, "top": 120, "width": 200, "height": 150}
DOG = {"label": "dog", "left": 500, "top": 300, "width": 120, "height": 180}


def jittered(shape: dict, rng: random.Random, spread: float = 2) -> dict:
    moved = dict(shape)
    for key in ("left", "top", "width", "height", "x", "y"):
        if key in shape:
            moved[key] = shape[key] + rng.uniform(-spread, spread)
    return moved


def test_three_noisy_boxes_make_the_truth_within_two_pixels_and_the_outlier_is_dropped():
    rng = random.Random(7)
    answers = [[jittered(CAT, rng), jittered(DOG, rng)] for _ in range(3)]
    answers[1].append({"label": "cat", "left": 600, "top": 20, "width": 90, "height": 60})
    answers.append([{"label": "dog", "left": 10, "top": 400, "width": 50, "height": 50}])
    found = shapes_consensus("boxes", answers, SIZE)
    assert [s["label"] for s in found.shapes] == ["cat", "dog"]
    for got, truth in zip(found.shapes, [CAT, DOG], strict=True):
        for key in ("left", "top", "width", "height"):
            assert got[key] == pytest.approx(truth[key], abs=2), key
    assert found.support == [0.75, 0.75]
    assert found.confidence == 0.75
    # Two strong clusters, two single-worker outliers: agreement well under 1.
    assert 0.3 < found.agreement < 0.6


def test_identical_answers_agree_fully_and_nothing_drawn_by_anyone_agrees_too():
    found = shapes_consensus("boxes", [[CAT], [CAT], [CAT]], SIZE)
    assert found.shapes == [CAT | {"left": 100.0}] and found.agreement == 1.0
    nothing = shapes_consensus("boxes", [[], []], SIZE)
    assert (nothing.shapes, nothing.agreement, nothing.confidence) == ([], 1.0, None)
    alone = shapes_consensus("boxes", [[CAT]], SIZE)
    assert alone.shapes and alone.agreement is None


def test_a_label_needs_half_of_the_workers():
    # Two of four workers call it a cat, two a dog: both kept (at least half each).
    answers = [[CAT], [CAT], [CAT | {"label": "dog"}], [CAT | {"label": "dog"}]]
    assert [s["label"] for s in shapes_consensus("boxes", answers, SIZE).shapes] == [
        "cat",
        "dog",
    ]
    answers[3] = []
    assert [s["label"] for s in shapes_consensus("boxes", answers, SIZE).shapes] == ["cat"]


def test_box_iou():
    a = [0, 0, 10, 10]
    assert box_iou(a, a) == 1.0
    assert box_iou(a, [5, 0, 15, 10]) == pytest.approx(1 / 3)
    assert box_iou(a, [20, 20, 30, 30]) == 0.0


def test_keypoints_cluster_within_a_radius_of_the_diagonal():
    eye, nose = {"label": "eye", "x": 200, "y": 150}, {"label": "nose", "x": 230, "y": 200}
    rng = random.Random(1)
    answers = [[jittered(eye, rng, 8), jittered(nose, rng, 8)] for _ in range(3)]
    answers[0].append({"label": "eye", "x": 700, "y": 500})  # a stray click
    answers.append([{"label": "eye", "x": 260, "y": 150}])  # 60 px off: outside 5% of 1000
    found = shapes_consensus("keypoints", answers, SIZE)
    assert [p["label"] for p in found.shapes] == ["eye", "nose"]
    for got, truth in zip(found.shapes, [eye, nose], strict=True):
        assert got["x"] == pytest.approx(truth["x"], abs=8)
        assert got["y"] == pytest.approx(truth["y"], abs=8)


def test_lines_match_whichever_way_they_were_drawn():
    def line(x1, y1, x2, y2):
        return {"label": "edge", "vertices": [{"x": x1, "y": y1}, {"x": x2, "y": y2}]}

    answers = [[line(100, 100, 400, 120)], [line(402, 118, 99, 101)], [line(101, 99, 399, 121)]]
    (found,) = shapes_consensus("lines", answers, SIZE).shapes
    ends = sorted((v["x"], v["y"]) for v in found["vertices"])
    assert ends[0] == pytest.approx((100, 100), abs=2)
    assert ends[1] == pytest.approx((400, 120), abs=2)


def test_polygons_and_polylines_take_the_most_central_member():
    def polygon(dx: float, label: str = "roof") -> dict:
        points = [(100, 100), (300, 100), (300, 250), (100, 250)]
        return {"label": label, "vertices": [{"x": x + dx, "y": y} for x, y in points]}

    answers = [[polygon(0)], [polygon(-6)], [polygon(5)], [polygon(400)]]
    (found,) = shapes_consensus("polygons", answers, SIZE).shapes
    assert found == polygon(0)
    path = [{"label": "road", "vertices": [{"x": x, "y": 300 + (x % 7)} for x in (0, 200, 400)]}]
    shifted = [{"label": "road", "vertices": [{"x": x, "y": 305} for x in (0, 150, 250, 400)]}]
    found = shapes_consensus("polylines", [path, shifted, path], SIZE)
    assert len(found.shapes) == 1 and found.agreement > 0.8


def test_hostile_shapes_are_ignored():
    hostile = [
        [{"label": "cat", "left": float("nan"), "top": 0, "width": 10, "height": 10}],
        [{"label": "cat", "left": 1e300, "top": 0, "width": 10, "height": 10}],
        [{"label": "cat", "left": 0, "top": 0, "width": -10, "height": 10}, "box", None, 7],
        [CAT] * 10_000,
        [{"label": ["a"] * 10, "left": "1", "top": "2", "width": "3", "height": "4"}],
    ]
    found = shapes_consensus("boxes", hostile, SIZE)
    assert "only the first 100" in found.note
    for kind in ("keypoints", "lines", "polylines", "polygons"):
        broken = [[{"label": "x", "vertices": [{"x": "a"}] * 3, "x": None}], [{"vertices": 5}]]
        assert shapes_consensus(kind, broken, None).shapes == []
        many = [[{"label": "x", "vertices": [{"x": i, "y": i} for i in range(5000)]}]]
        assert shapes_consensus(kind, many, None).shapes == []


def test_the_common_size_is_the_one_most_workers_reported():
    assert common_size([(800, 600), None, (800, 600), (10, 10)]) == (800, 600)
    assert common_size([None]) is None
