"""How the simulated crowd answers the Crowd HTML Elements whose answer is more than a word.

`ELEMENTS` names the elements read here: the multi-select classifiers, the image classifier, the
slider, the toggle button, the five shape tools (bounding box, keypoint, line, polyline,
polygon), the two segmentation tools and entity annotation. For each, `element_truth` gives the
right answer of a HIT (the stored truth, else drawn from the element's attributes, stably for a
question) and `element_answer` one worker's answer to it: always in the element's documented
output shape (the one the crowd script in `static/emulator/crowd/` submits), so the dashboard
cannot tell a simulated worker's answer from a person's.

Quality shows as it would in people's work: an accurate answer is the truth with a pixel or two
of hand jitter; an inaccurate one misses a shape, moves it well off, takes a wrong label or a
neighbouring word; a spammer draws a few shapes anywhere and picks labels at random.

The truth may be set (`POST /_emulator/crowd/truth`) in the element's output shape
(`{"boundingBoxes": [...]}`, `{"keypoints": [...]}`, `{"entities": [...]}`, `{"labels": [...]}`,
`{"label": ...}`, a number for a slider, a boolean for a toggle) or as the bare list of shapes.
Segmentation truth is a list of regions `[{"label", "left", "top", "width", "height"}]`, painted
as filled rectangles.

Image sizes are read from `data:` URLs (PNG, GIF, JPEG); an image the crowd cannot read offline
is taken to be `DEFAULT_IMAGE` unless the truth gives `inputImageProperties`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import re
import struct
import zlib
from typing import Any

# The colours the crowd script gives labels in segmentation images, in label order.
PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]
DEFAULT_IMAGE = (800, 600)  # width, height

SHAPES = {
    "crowd-bounding-box": "boundingBoxes",
    "crowd-keypoint": "keypoints",
    "crowd-line": "lines",
    "crowd-polyline": "polylines",
    "crowd-polygon": "polygons",
}
SEGMENTATION = {"crowd-semantic-segmentation", "crowd-instance-segmentation"}
MULTI_SELECT = {"crowd-classifier-multi-select", "crowd-image-classifier-multi-select"}
ELEMENTS = (
    set(SHAPES)
    | SEGMENTATION
    | MULTI_SELECT
    | {"crowd-image-classifier", "crowd-slider", "crowd-toggle-button", "crowd-entity-annotation"}
)
WORD = re.compile(r"\w+(?:['\u2019-]\w+)*")


def loose_json(raw: str) -> Any:
    """An attribute holding JSON, or the JavaScript literal the reference's examples write
    (single quotes, unquoted keys, trailing commas); None when it is neither."""
    if not raw or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        pass
    text = re.sub(r"'((?:[^'\\]|\\.)*)'", lambda m: json.dumps(m.group(1)), raw)
    text = re.sub(r"([{,]\s*)([A-Za-z_$][\w$]*)\s*:", r'\1"\2":', text)
    text = re.sub(r",\s*([}\]])", r"\1", text)
    try:
        return json.loads(text)
    except ValueError:
        return None


def labels_of(attributes: dict[str, str], key: str = "labels") -> list[str]:
    """The label names of an element: strings, or entity annotation's `{label: ...}` objects."""
    found = loose_json(attributes.get(key, ""))
    if not isinstance(found, list):
        return []
    names = []
    for entry in found:
        name = entry.get("label") if isinstance(entry, dict) else entry
        if name is not None and str(name) not in names:
            names.append(str(name))
    return names


def image_size(src: str) -> tuple[int, int] | None:
    """(width, height) of a data: URL image (PNG, GIF or JPEG), or None."""
    if not src.startswith("data:") or "," not in src:
        return None
    meta, payload = src.split(",", 1)
    try:
        data = base64.b64decode(payload[:200_000], validate=False) if ";base64" in meta else b""
    except ValueError:
        return None
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data[:2] == b"\xff\xd8":
        at = 2
        while at + 9 < len(data):
            if data[at] != 0xFF:
                return None
            marker = data[at + 1]
            length = struct.unpack(">H", data[at + 2 : at + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[at + 5 : at + 9])
                return width, height
            at += 2 + length
    return None


def png_rgba(width: int, height: int, rectangles: list[tuple[int, int, int, int, str]]) -> str:
    """Base64 PNG of a transparent image with filled (left, top, width, height, "#rrggbb")
    rectangles on it, later ones over earlier ones."""
    rows = []
    for y in range(height):
        row = bytearray(width * 4)
        for left, top, w, h, colour in rectangles:
            if top <= y < top + h:
                start, end = max(0, left), min(width, left + w)
                if start < end:
                    pixel = bytes.fromhex(colour[1:7]) + b"\xff"
                    row[start * 4 : end * 4] = pixel * (end - start)
        rows.append(b"\x00" + bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode()


def _stable_rng(*parts: str) -> random.Random:
    return random.Random(hashlib.sha256("\x1f".join(parts).encode()).hexdigest())


def _size(attributes: dict[str, str], truth: Any = None) -> tuple[int, int]:
    if isinstance(truth, dict):
        given = truth.get("inputImageProperties")
        if isinstance(given, dict) and given.get("width") and given.get("height"):
            return int(given["width"]), int(given["height"])
    return image_size(attributes.get("src", "")) or DEFAULT_IMAGE


def _clamp(value: float, low: int, high: int) -> int:
    return int(max(low, min(high, round(value))))


def _labels_or_default(attributes: dict[str, str], key: str = "labels") -> list[str]:
    return labels_of(attributes, key) or ["object"]


# ---------------------------------------------------------------------------------------------
# Truth


def _random_shape(tool: str, labels: list[str], size: tuple[int, int], rng: random.Random):
    width, height = size
    label = rng.choice(labels)
    if tool == "crowd-bounding-box":
        w = rng.randint(max(1, width // 10), max(1, width // 3))
        h = rng.randint(max(1, height // 10), max(1, height // 3))
        return {
            "label": label,
            "left": rng.randint(0, width - w),
            "top": rng.randint(0, height - h),
            "width": w,
            "height": h,
        }
    if tool == "crowd-keypoint":
        return {"label": label, "x": rng.randint(0, width - 1), "y": rng.randint(0, height - 1)}
    count = {"crowd-line": 2, "crowd-polyline": rng.randint(3, 5)}.get(tool, rng.randint(3, 6))
    cx, cy = rng.randint(width // 4, 3 * width // 4), rng.randint(height // 4, 3 * height // 4)
    radius = max(2, min(width, height) // rng.randint(4, 8))
    vertices = []
    for n in range(count):
        angle = 6.283 * n / count + rng.uniform(-0.3, 0.3)
        reach = radius * rng.uniform(0.6, 1.0)
        vertices.append(
            {
                "x": _clamp(cx + reach * math.cos(angle), 0, width - 1),
                "y": _clamp(cy + reach * math.sin(angle), 0, height - 1),
            }
        )
    return {"label": label, "vertices": vertices}


def _tokens(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in WORD.finditer(text)]


def element_truth(tag: str, attributes: dict[str, str], stored: Any, *seed: str) -> Any:
    """The right answer of one element: the stored truth in the element's own shape, else one
    drawn from its attributes (the same for the same question)."""
    if stored is not None:
        return _normalise_truth(tag, attributes, stored)
    rng = _stable_rng(*seed)
    if tag in SHAPES:
        size = _size(attributes)
        labels = _labels_or_default(attributes)
        count = 1 if tag == "crowd-line" else rng.randint(1, 3)
        return {SHAPES[tag]: [_random_shape(tag, labels, size, rng) for _ in range(count)]}
    if tag in SEGMENTATION:
        size = _size(attributes)
        labels = _labels_or_default(attributes)
        return [_random_shape("crowd-bounding-box", labels, size, rng) for _ in range(2)]
    if tag in MULTI_SELECT:
        categories = labels_of(attributes, "categories")
        if not categories:
            return {"labels": []}
        return {"labels": sorted(rng.sample(categories, rng.randint(1, min(2, len(categories)))))}
    if tag == "crowd-image-classifier":
        categories = labels_of(attributes, "categories")
        return {"label": rng.choice(categories) if categories else ""}
    if tag == "crowd-slider":
        low, high, step = _slider_range(attributes)
        return low + step * rng.randint(0, int((high - low) / step))
    if tag == "crowd-toggle-button":
        return rng.random() < 0.5
    if tag == "crowd-entity-annotation":
        text = attributes.get("text", "")
        labels = _labels_or_default(attributes)
        tokens = _tokens(text)
        named = [t for t in tokens if text[t[0]].isupper()] or tokens
        picked = sorted(rng.sample(named, min(len(named), rng.randint(1, 3))))
        return {
            "entities": [
                {"label": rng.choice(labels), "startOffset": s, "endOffset": e} for s, e in picked
            ]
        }
    return None


def _normalise_truth(tag: str, attributes: dict[str, str], stored: Any) -> Any:
    # Truth arrives through `truth_set`, which wraps anything but a list in one.
    if isinstance(stored, list) and len(stored) == 1 and not isinstance(stored[0], str | int):
        stored = stored[0] if isinstance(stored[0], dict | bool | float) else stored
    if tag in SHAPES:
        key = SHAPES[tag]
        if isinstance(stored, dict) and key in stored:
            return stored
        shapes = stored if isinstance(stored, list) else [stored]
        return {key: [s for s in shapes if isinstance(s, dict)]}
    if tag in SEGMENTATION:
        regions = stored if isinstance(stored, list) else [stored]
        return [r for r in regions if isinstance(r, dict)]
    if tag in MULTI_SELECT:
        if isinstance(stored, dict):
            return {"labels": [str(x) for x in stored.get("labels", [])]}
        return {"labels": [str(x) for x in (stored if isinstance(stored, list) else [stored])]}
    if tag == "crowd-image-classifier":
        if isinstance(stored, dict):
            return {"label": str(stored.get("label", ""))}
        return {"label": str(stored[0] if isinstance(stored, list) else stored)}
    if tag == "crowd-slider":
        value = stored[0] if isinstance(stored, list) else stored
        return float(value) if float(value) != int(float(value)) else int(float(value))
    if tag == "crowd-toggle-button":
        value = stored[0] if isinstance(stored, list) else stored
        return value in (True, "true", "on", 1, "1")
    if tag == "crowd-entity-annotation":
        if isinstance(stored, dict) and "entities" in stored:
            return stored
        entities = stored if isinstance(stored, list) else [stored]
        return {"entities": [e for e in entities if isinstance(e, dict)]}
    return stored


def _slider_range(attributes: dict[str, str]) -> tuple[float, float, float]:
    def number(key: str, default: float) -> float:
        try:
            return float(attributes.get(key, default))
        except ValueError:
            return default

    low, high = number("min", 0), number("max", 100)
    step = number("step", 1) or 1
    if high < low:
        low, high = high, low
    if all(float(v).is_integer() for v in (low, high, step)):
        return int(low), int(high), int(step)
    return low, high, abs(step)


# ---------------------------------------------------------------------------------------------
# One worker's answer


def _jitter_shape(shape: dict, size: tuple[int, int], spread: float, rng: random.Random) -> dict:
    width, height = size
    dx = lambda: rng.uniform(-spread, spread) * width  # noqa: E731
    dy = lambda: rng.uniform(-spread, spread) * height  # noqa: E731
    moved = dict(shape)
    if "left" in shape:
        left = _clamp(shape["left"] + dx(), 0, width - 1)
        top = _clamp(shape["top"] + dy(), 0, height - 1)
        moved.update(
            left=left,
            top=top,
            width=_clamp(shape["width"] + dx(), 1, width - left),
            height=_clamp(shape["height"] + dy(), 1, height - top),
        )
    elif "x" in shape:
        moved.update(
            x=_clamp(shape["x"] + dx(), 0, width - 1), y=_clamp(shape["y"] + dy(), 0, height - 1)
        )
    elif "vertices" in shape:
        moved["vertices"] = [
            {"x": _clamp(v["x"] + dx(), 0, width - 1), "y": _clamp(v["y"] + dy(), 0, height - 1)}
            for v in shape["vertices"]
        ]
    return moved


def _hand_jitter(size: tuple[int, int]) -> float:
    # A careful hand: a pixel or two, whatever the image's size.
    return 2 / max(1, max(size))


def _worked_shapes(
    shapes: list[dict], labels: list[str], size, accurate_draw, rng: random.Random
) -> list[dict]:
    out = []
    for shape in shapes:
        if accurate_draw():
            out.append(_jitter_shape(shape, size, _hand_jitter(size), rng))
            continue
        mistake = rng.choice(["miss", "off", "label"] if len(labels) > 1 else ["miss", "off"])
        if mistake == "off":
            out.append(_jitter_shape(shape, size, 0.12, rng))
        elif mistake == "label":
            others = [label for label in labels if label != shape.get("label")]
            out.append(
                _jitter_shape(shape, size, _hand_jitter(size), rng) | {"label": rng.choice(others)}
            )
    return out


def element_answer(
    tag: str,
    attributes: dict[str, str],
    truth: Any,
    *,
    accuracy: float,
    spam: bool,
    rng: random.Random,
) -> Any:
    """One worker's answer to one element, in the element's output shape."""
    accurate = lambda: not spam and rng.random() < accuracy  # noqa: E731
    if tag in SHAPES:
        size = _size(attributes, truth)
        labels = _labels_or_default(attributes)
        key = SHAPES[tag]
        if spam:
            shapes = [_random_shape(tag, labels, size, rng) for _ in range(rng.randint(1, 3))]
        else:
            shapes = _worked_shapes((truth or {}).get(key, []), labels, size, accurate, rng)
        return {
            "inputImageProperties": {"height": size[1], "width": size[0]},
            key: shapes,
        }
    if tag in SEGMENTATION:
        return _segmentation_answer(tag, attributes, truth or [], accurate, spam, rng)
    if tag in MULTI_SELECT:
        categories = labels_of(attributes, "categories")
        right = list((truth or {}).get("labels", []))
        if spam:
            chosen = rng.sample(categories, rng.randint(0, len(categories))) if categories else []
        elif accurate() or not categories:
            chosen = right
        else:
            flip = rng.choice(categories)
            chosen = [c for c in right if c != flip] if flip in right else [*right, flip]
        return {"labels": [c for c in categories if c in chosen]}
    if tag == "crowd-image-classifier":
        categories = labels_of(attributes, "categories")
        right = (truth or {}).get("label", "")
        if not categories:
            return {"label": right}
        if spam:
            return {"label": rng.choice(categories)}
        if accurate():
            return {"label": right}
        others = [c for c in categories if c != right] or categories
        return {"label": rng.choice(others)}
    if tag == "crowd-slider":
        low, high, step = _slider_range(attributes)
        if spam:
            return low + step * rng.randint(0, int((high - low) / step))
        if accurate():
            return truth
        steps = max(1, int((high - low) / step) // 5)
        moved = truth + step * rng.choice([-1, 1]) * rng.randint(1, steps)
        return min(high, max(low, moved))
    if tag == "crowd-toggle-button":
        state = rng.random() < 0.5 if spam else (bool(truth) if accurate() else not truth)
        return {attributes.get("value") or "on": state}
    if tag == "crowd-entity-annotation":
        return _entity_answer(attributes, truth or {}, accurate, spam, rng)
    return truth


def _entity_answer(attributes, truth, accurate, spam, rng: random.Random) -> dict:
    text = attributes.get("text", "")
    labels = _labels_or_default(attributes)
    tokens = _tokens(text)
    if spam:
        picked = rng.sample(tokens, min(len(tokens), rng.randint(1, 3))) if tokens else []
        entities = [
            {"label": rng.choice(labels), "startOffset": s, "endOffset": e} for s, e in picked
        ]
    else:
        entities = []
        for entity in truth.get("entities", []):
            if accurate():
                entities.append(dict(entity))
                continue
            mistake = rng.choice(["miss", "span", "label"] if len(labels) > 1 else ["miss", "span"])
            if mistake == "span":
                # One word too many: the span runs on to the end of the next word.
                following = [t for t in tokens if t[0] >= entity["endOffset"]]
                end = following[0][1] if following else entity["endOffset"]
                entities.append(entity | {"endOffset": end})
            elif mistake == "label":
                others = [label for label in labels if label != entity.get("label")]
                entities.append(entity | {"label": rng.choice(others)})
    entities.sort(key=lambda e: (e["startOffset"], e["endOffset"]))
    return {"entities": entities}


def _segmentation_answer(tag, attributes, regions, accurate, spam, rng: random.Random) -> dict:
    size = _size(attributes)
    labels = _labels_or_default(attributes)
    if spam:
        regions = [
            _random_shape("crowd-bounding-box", labels, size, rng) for _ in range(rng.randint(1, 3))
        ]
        painted = regions
    else:
        painted = _worked_shapes(regions, labels, size, accurate, rng)
    rectangles = []
    result: dict[str, Any] = {"inputImageProperties": {"height": size[1], "width": size[0]}}
    if tag == "crowd-semantic-segmentation":
        colour = {label: PALETTE[n % len(PALETTE)] for n, label in enumerate(labels)}
        used: dict[str, dict] = {}
        for region in painted:
            label = region.get("label", labels[0])
            rectangles.append(
                (
                    region["left"],
                    region["top"],
                    region["width"],
                    region["height"],
                    colour.get(label, PALETTE[0]),
                )
            )
            used[label] = {"color": colour.get(label, PALETTE[0])}
        result["labelMappings"] = used
    else:
        instances = []
        for n, region in enumerate(painted):
            colour = PALETTE[n % len(PALETTE)]
            rectangles.append(
                (region["left"], region["top"], region["width"], region["height"], colour)
            )
            instances.append({"color": colour, "label": region.get("label", labels[0])})
        result["instances"] = instances
    result["labeledImage"] = {"pngImageData": png_rgba(size[0], size[1], rectangles)}
    return result
