"""Segmentation masks of several workers made one with crowd-kit: semantic labels and
instances, decoded from the PNGs the crowd script writes, and images that are refused."""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np
import pytest

from apps.review.quality.mask_consensus import (
    MAX_WORKERS,
    MaskError,
    masks_consensus,
    png_decode,
    png_encode,
)

W, H = 160, 120
BLUE, ORANGE = (0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E)


def rgba(*regions: tuple[np.ndarray, tuple[int, int, int]]) -> np.ndarray:
    image = np.zeros((H, W, 4), dtype=np.uint8)
    for mask, colour in regions:
        image[mask] = [*colour, 255]
    return image


def box(top: int, bottom: int, left: int, right: int) -> np.ndarray:
    mask = np.zeros((H, W), dtype=bool)
    mask[top:bottom, left:right] = True
    return mask


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return (a & b).sum() / (a | b).sum()


def semantic(image: np.ndarray, labels: dict[str, str]) -> dict:
    return {"png": png_encode(image), "labels": labels}


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def raw_png(width: int, height: int, colour_type: int, rows: bytes, palette: bytes = b"") -> str:
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    if palette:
        data += chunk(b"PLTE", palette)
    data += chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return base64.b64encode(data).decode()


@pytest.mark.parametrize("method", ["majority", "dawid_skene"])
def test_three_masks_one_noisy_make_the_truth(method):
    truth_cat, truth_dog = box(20, 80, 30, 100), box(60, 110, 110, 150)
    rng = np.random.default_rng(0)
    answers = []
    for worker in range(3):
        cat, dog = truth_cat.copy(), truth_dog.copy()
        if worker == 2:  # a careless brush: a fifth of the pixels flipped, a dog edge missed
            cat ^= rng.random((H, W)) < 0.2
            dog[60:70] = False
        labels = {"cat": "#1f77b4", "dog": "#ff7f0e"}
        answers.append(semantic(rgba((cat, BLUE), (dog & ~cat, ORANGE)), labels))
    found = masks_consensus("semantic", answers, method=method, size=(W, H))
    assert found.value["labels"] == {"cat": "#1f77b4", "dog": "#ff7f0e"}
    image = png_decode(found.value["png"])
    cat = (image[..., 3] > 0) & (image[..., 0] == 0x1F)
    dog = (image[..., 3] > 0) & (image[..., 0] == 0xFF)
    assert iou(cat, truth_cat) > 0.95 and iou(dog, truth_dog) > 0.95
    assert 0.6 < found.agreement < 1 and found.confidence > 0.8
    assert found.used == 3 and not found.note


def test_instances_are_matched_across_workers_whatever_their_colours():
    first, second = box(10, 40, 10, 50), box(60, 100, 80, 140)
    answers = []
    for worker in range(3):
        a, b = (first, second) if worker != 1 else (second, first)  # painted in another order
        image = rgba((np.roll(a, worker, axis=0), BLUE), (b, ORANGE))
        instances = [{"label": "car", "color": "#1f77b4"}, {"label": "car", "color": "#ff7f0e"}]
        answers.append({"png": png_encode(image), "instances": instances})
    answers.append(
        {
            "png": png_encode(rgba((box(0, 10, 150, 160), BLUE))),
            "instances": [{"label": "bus", "color": "#1f77b4"}],
        }
    )
    found = masks_consensus("instances", answers, method="majority", size=(W, H))
    assert [i["label"] for i in found.value["instances"]] == ["car", "car"]
    image = png_decode(found.value["png"])
    painted = image[..., 3] > 0
    assert iou(painted, first | second) > 0.95
    colours = {tuple(image[25, 30, :3]), tuple(image[80, 100, :3])}
    assert len(colours) == 2  # two instances, two colours


def test_rgb_and_palette_pngs_decode_too():
    rgb = raw_png(2, 1, 2, b"\x00" + bytes([0x1F, 0x77, 0xB4, 0, 0, 0]))
    assert png_decode(rgb).tolist() == [[[0x1F, 0x77, 0xB4, 255], [0, 0, 0, 255]]]
    palette = raw_png(2, 1, 3, b"\x00\x01\x00", palette=bytes([0, 0, 0, 0x1F, 0x77, 0xB4]))
    assert png_decode(palette)[0, 0].tolist() == [0x1F, 0x77, 0xB4, 255]


def test_a_png_bomb_is_refused_from_its_header():
    bomb = raw_png(100_000, 100_000, 6, b"\x00" * 1000)
    with pytest.raises(MaskError, match="100000x100000"):
        png_decode(bomb)
    found = masks_consensus("semantic", [{"png": bomb, "labels": {}}] * 3, method="majority")
    assert found.value is None and "larger than 2000x2000" in found.note


def test_an_image_too_large_is_not_aggregated_and_says_why():
    found = masks_consensus("semantic", [], method="majority", size=(4000, 3000))
    assert found.value is None and "4000x3000" in found.note


def test_unreadable_answers_are_left_out_and_counted():
    good = semantic(rgba((box(0, 50, 0, 50), BLUE)), {"cat": "#1f77b4"})
    answers = [
        good,
        good,
        {"png": "not base64 at all!", "labels": {}},
        {"png": base64.b64encode(b"GIF89a....").decode(), "labels": {}},
        {"png": raw_png(3, 3, 6, b"\x00" * 5)},  # truncated pixel data
        {"png": png_encode(np.zeros((10, 10, 4), np.uint8)), "labels": {"cat": "#1f77b4"}},
        {"png": good["png"], "labels": {"cat": "#zzzzzz"}},
        "a string",
    ]
    found = masks_consensus("semantic", answers, method="dawid_skene", size=(W, H))
    assert found.value is not None and found.value["labels"] == {"cat": "#1f77b4"}
    assert "not base64" in found.note and "not a PNG" in found.note
    assert "does not decode" in found.note and "not of the image's size" in found.note
    assert found.used == 3  # the two good ones, and the one whose colours name nothing


def test_past_the_cap_only_the_first_answers_count():
    good = semantic(rgba((box(0, 50, 0, 50), BLUE)), {"cat": "#1f77b4"})
    found = masks_consensus("semantic", [good] * (MAX_WORKERS + 5), method="majority")
    assert found.used == MAX_WORKERS and f"the first {MAX_WORKERS}" in found.note
    assert found.agreement == 1.0
