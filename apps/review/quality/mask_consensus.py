"""The consensus of several workers' segmentation masks on one image (semantic and instance
segmentation), with crowd-kit's image segmentation aggregators.

A worker's answer is a PNG (base64) whose pixels carry exact colours: a label's colour in
`labelMappings` (semantic), an instance's colour in `instances` (instance), transparent for
none. Each answer is decoded to a map of label (or instance) numbers, then:

- **semantic**: each label is a task whose workers' answers are boolean masks; crowd-kit's
  `SegmentationEM` (for `dawid_skene` and `mace`) or `SegmentationMajorityVote` (a pixel in
  when at least half the workers painted it) aggregates them; a pixel two labels claim goes to
  the one more workers painted there.
- **instances**: instances are matched across workers by the IoU of their masks (at least 0.5,
  the clustering of `shape_consensus`); an instance is kept when at least half of the workers
  painted one in its cluster, and its pixels are crowd-kit's aggregate of those workers' masks
  (an empty mask for the workers without one), its label the one most of them gave.

Agreement: the mean over workers of their mean IoU with the aggregate, label by label (for
instances, by the instances' labels). Confidence: over the aggregate's painted pixels, the mean
share of workers who painted the pixel's label there.

The work is capped: an image larger than `MAX_SIDE` on a side is refused (the PNG's header is
read before anything is decompressed, so a small file that claims a huge image costs nothing),
and past `MAX_WORKERS` answers only the first ones count; either way the result says so.
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from apps.batches import taskspec
from apps.review.quality.shape_consensus import cluster

MAX_SIDE = 2000
MAX_WORKERS = 20
MAX_LABELS = 60  # per answer: a map of more colours than this is not a worker's painting
MAX_PNG_BYTES = 16 * 1024 * 1024
INSTANCE_IOU = 0.5
# The crowd script's colours, in label order; past them, stable distinct others.
PALETTE = taskspec.CROWD_COLOURS
METHOD_LABELS = {
    "semantic": {
        "majority": "Segmentation majority vote per label (crowd-kit)",
        "em": "Segmentation EM per label (crowd-kit)",
    },
    "instances": {
        "majority": "Instances matched by mask IoU (0.5), majority vote per instance (crowd-kit)",
        "em": "Instances matched by mask IoU (0.5), segmentation EM per instance (crowd-kit)",
    },
}


class MaskError(ValueError):
    """An answer's image that cannot be read, or that is too large to be."""


@dataclass
class MaskConsensus:
    value: dict | None
    confidence: float | None
    agreement: float | None
    note: str = ""
    used: int = 0  # answers aggregated


@dataclass
class _Answer:
    labels: list[str]  # label of each number in `map` (1-based: 0 is nothing)
    colours: list[str]
    map: np.ndarray = field(repr=False)  # (height, width) uint8


# --- PNG ------------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header, without decompressing anything."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR" or len(data) < 24:
        raise MaskError("not a PNG image")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def png_decode(encoded: str) -> np.ndarray:
    """A base64 PNG as an (height, width, 4) RGBA array. MaskError when it is not a PNG,
    when it claims more than MAX_SIDE pixels on a side, or when it does not decode."""
    from PIL import Image

    if not isinstance(encoded, str) or len(encoded) > MAX_PNG_BYTES * 4 // 3 + 4:
        raise MaskError("the image is missing or too large")
    text = encoded.split(",", 1)[1] if encoded.startswith("data:") else encoded
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise MaskError("the image is not base64") from None
    width, height = png_size(data)
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise MaskError(f"the image is {width}x{height}, larger than {MAX_SIDE}x{MAX_SIDE}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                if image.size != (width, height):
                    raise MaskError("the image's header is inconsistent")
                rgba = np.asarray(image.convert("RGBA"))
    except MaskError:
        raise
    except Exception as exc:  # Pillow's errors for a damaged file are of many kinds
        raise MaskError(f"the image does not decode ({type(exc).__name__})") from None
    return rgba


def png_encode(rgba: np.ndarray) -> str:
    """An (height, width, 4) RGBA array as a base64 PNG."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba, dtype=np.uint8), "RGBA").save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _rgb(colour: str) -> int | None:
    text = str(colour).strip().lstrip("#")
    if len(text) == 3:
        text = "".join(c * 2 for c in text)
    try:
        return int(text, 16) if len(text) == 6 else None
    except ValueError:
        return None


def palette_colour(n: int, taken: set[str] = frozenset()) -> str:
    """The n-th label's colour: category10's first, then distinct others."""
    if n < len(PALETTE) and PALETTE[n] not in taken:
        return PALETTE[n]
    k = n
    while True:
        colour = f"#{(k * 2654435761 + 0x3C6EF3) & 0xFFFFFF:06x}"
        if colour not in taken and colour not in PALETTE:
            return colour
        k += 1


def _label_map(rgba: np.ndarray, colours: list[str]) -> np.ndarray:
    """Each pixel's number: 1 + the index of its colour in `colours`, 0 for any other pixel or
    a transparent one."""
    packed = (
        (rgba[..., 0].astype(np.uint32) << 16)
        | (rgba[..., 1].astype(np.uint32) << 8)
        | rgba[..., 2].astype(np.uint32)
    )
    out = np.zeros(rgba.shape[:2], dtype=np.uint8)
    painted = rgba[..., 3] > 0
    for index, colour in enumerate(colours, start=1):
        value = _rgb(colour)
        if value is not None:
            out[painted & (packed == value)] = index
    return out


def _read(kind: str, answer: dict) -> _Answer:
    rgba = png_decode(answer.get("png"))
    if kind == "semantic":
        mappings = answer.get("labels") if isinstance(answer.get("labels"), dict) else {}
        pairs = [(str(label)[:200], str(colour)) for label, colour in mappings.items()]
    else:
        instances = answer.get("instances") if isinstance(answer.get("instances"), list) else []
        pairs = [
            (str(i.get("label", ""))[:200], str(i.get("color", "")))
            for i in instances
            if isinstance(i, dict)
        ]
    if len(pairs) > MAX_LABELS:
        raise MaskError(f"the answer names more than {MAX_LABELS} colours")
    labels = [label for label, _ in pairs]
    colours = [colour for _, colour in pairs]
    return _Answer(labels=labels, colours=colours, map=_label_map(rgba, colours))


# --- aggregation -------------------------------------------------------------------------------


def _crowdkit(tasks: list[tuple[object, list[np.ndarray]]], em: bool) -> dict[object, np.ndarray]:
    """crowd-kit's aggregate of each task's workers' boolean masks (all of one size)."""
    import pandas as pd
    from crowdkit.aggregation import SegmentationEM, SegmentationMajorityVote

    rows = [
        {"task": task, "worker": f"w{n}", "segmentation": mask}
        for task, masks in tasks
        for n, mask in enumerate(masks)
    ]
    if not rows:
        return {}
    model = SegmentationEM() if em else SegmentationMajorityVote()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' chained-assignment and deprecation notes
        result = model.fit_predict(pd.DataFrame(rows))
    return {task: np.asarray(result.loc[task], dtype=bool) for task, _ in tasks}


def _bounds(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    rows, cols = np.any(mask, axis=1), np.any(mask, axis=0)
    if not rows.any():
        return None
    y0, y1 = np.flatnonzero(rows)[[0, -1]]
    x0, x1 = np.flatnonzero(cols)[[0, -1]]
    return int(y0), int(y1) + 1, int(x0), int(x1) + 1


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.count_nonzero(a | b)
    return float(np.count_nonzero(a & b) / union) if union else 1.0


def _agreement(maps: list[np.ndarray], aggregate: np.ndarray) -> float:
    """Mean over workers of their mean per-label IoU with the aggregate (label maps in one
    numbering, 0 for nothing)."""
    scores = []
    for worker in maps:
        present = (set(np.unique(worker)) | set(np.unique(aggregate))) - {0}
        if not present:
            scores.append(1.0)
            continue
        scores.append(float(np.mean([_iou(worker == n, aggregate == n) for n in present])))
    return float(np.mean(scores))


def _confidence(maps: list[np.ndarray], aggregate: np.ndarray) -> float | None:
    painted = aggregate > 0
    if not painted.any():
        return None
    votes = np.zeros(aggregate.shape, dtype=np.uint16)
    for worker in maps:
        votes += (worker == aggregate) & painted
    return float(votes[painted].mean() / len(maps))


def _semantic(
    answers: list[_Answer], em: bool
) -> tuple[np.ndarray, list[str], list[str], list[np.ndarray]]:
    """The aggregate label map, its labels (1-based), their colours, and each worker's map in
    the same numbering."""
    labels: list[str] = []
    colour_votes: dict[str, Counter] = {}
    for answer in answers:
        for label, colour in zip(answer.labels, answer.colours, strict=True):
            if label not in labels:
                labels.append(label)
            colour_votes.setdefault(label, Counter())[colour] += 1
    labels = labels[:MAX_LABELS]
    # Each worker's map in the shared label numbering.
    maps = []
    for answer in answers:
        lookup = np.zeros(256, dtype=np.uint8)
        for n, label in enumerate(answer.labels, start=1):
            lookup[n] = labels.index(label) + 1 if label in labels else 0
        maps.append(lookup[answer.map])
    shape = maps[0].shape
    tasks, frames = [], {}
    for n in range(1, len(labels) + 1):
        masks = [m == n for m in maps]
        box = _bounds(np.logical_or.reduce(masks))
        if box is None:
            continue
        y0, y1, x0, x1 = box
        frames[n] = box
        tasks.append((n, [m[y0:y1, x0:x1] for m in masks]))
    result = _crowdkit(tasks, em)
    aggregate = np.zeros(shape, dtype=np.uint8)
    best = np.zeros(shape, dtype=np.uint16)
    for n, masks in tasks:
        y0, y1, x0, x1 = frames[n]
        chosen = result[n]
        votes = np.sum(masks, axis=0).astype(np.uint16) * chosen
        region_best = best[y0:y1, x0:x1]
        wins = chosen & (votes > region_best)
        aggregate[y0:y1, x0:x1][wins] = n
        region_best[wins] = votes[wins]
    used_colours: list[str] = []
    for label in labels:
        taken = set(used_colours)
        common = [c for c, _ in colour_votes[label].most_common() if c not in taken]
        used_colours.append(common[0] if common else palette_colour(len(used_colours), taken))
    return aggregate, labels, used_colours, maps


def _instances(
    answers: list[_Answer], em: bool
) -> tuple[np.ndarray, list[str], list[str], list[np.ndarray], list[str]]:
    """The aggregate instance map, its instances' labels and colours, each worker's map of
    instance labels (for agreement) and those labels, all 1-based."""
    shape = answers[0].map.shape
    per_worker = []
    for answer in answers:
        regions = []
        for n, label in enumerate(answer.labels, start=1):
            mask = answer.map == n
            box = _bounds(mask)
            if box is not None:
                y0, y1, x0, x1 = box
                regions.append((label, box, mask[y0:y1, x0:x1]))
        per_worker.append(regions)

    def full(region) -> np.ndarray:
        _, (y0, y1, x0, x1), crop = region
        out = np.zeros(shape, dtype=bool)
        out[y0:y1, x0:x1] = crop
        return out

    def similarity(a, b) -> float:
        (ay0, ay1, ax0, ax1), (by0, by1, bx0, bx1) = a[1], b[1]
        y0, y1, x0, x1 = max(ay0, by0), min(ay1, by1), max(ax0, bx0), min(ax1, bx1)
        if y0 >= y1 or x0 >= x1:
            return 0.0
        inter = np.count_nonzero(
            a[2][y0 - ay0 : y1 - ay0, x0 - ax0 : x1 - ax0]
            & b[2][y0 - by0 : y1 - by0, x0 - bx0 : x1 - bx0]
        )
        union = np.count_nonzero(a[2]) + np.count_nonzero(b[2]) - inter
        return inter / union if union else 0.0

    groups = cluster(per_worker, similarity, lambda members: members[0], INSTANCE_IOU)
    workers = len(answers)
    kept = [g for g in groups if len({w for w, _ in g.members}) * 2 >= workers]
    tasks, frames, names = [], {}, {}
    for index, group in enumerate(kept):
        boxes = [region[1] for _, region in group.members]
        y0, y1 = min(b[0] for b in boxes), max(b[1] for b in boxes)
        x0, x1 = min(b[2] for b in boxes), max(b[3] for b in boxes)
        by_worker = {w: full(region)[y0:y1, x0:x1] for w, region in group.members}
        empty = np.zeros((y1 - y0, x1 - x0), dtype=bool)
        frames[index] = (y0, y1, x0, x1)
        names[index] = Counter(region[0] for _, region in group.members).most_common(1)[0][0]
        tasks.append((index, [by_worker.get(w, empty) for w in range(workers)]))
    result = _crowdkit(tasks, em)
    aggregate = np.zeros(shape, dtype=np.uint8)
    best = np.zeros(shape, dtype=np.uint16)
    labels, colours = [], []
    for index, masks in tasks:
        chosen = result[index]
        if not chosen.any():
            continue
        y0, y1, x0, x1 = frames[index]
        votes = np.sum(masks, axis=0).astype(np.uint16) * chosen
        region_best = best[y0:y1, x0:x1]
        wins = chosen & (votes > region_best)
        number = len(labels) + 1
        aggregate[y0:y1, x0:x1][wins] = number
        region_best[wins] = votes[wins]
        labels.append(names[index])
        colours.append(palette_colour(len(colours), set(colours)))
    # Agreement and confidence by label: instance numbers mapped to their label's number.
    classes = sorted({label for a in answers for label in a.labels} | set(labels))
    worker_maps = []
    for answer in answers:
        lookup = np.zeros(256, dtype=np.uint8)
        for n, label in enumerate(answer.labels, start=1):
            lookup[n] = classes.index(label) + 1
        worker_maps.append(lookup[answer.map])
    return aggregate, labels, colours, worker_maps, classes


def masks_consensus(
    kind: str, answers: list[dict], *, method: str, size: tuple[int, int] | None = None
) -> MaskConsensus:
    """The consensus of workers' masks (taskspec's `semantic` or `instances` values) on one
    image, `size` as the workers' elements reported it. Value: `{"png": base64 PNG, "labels":
    {label: colour}}` (semantic) or `{"png", "instances": [{label, color}]}` (instances)."""
    notes = []
    if len(answers) > MAX_WORKERS:
        notes.append(f"{len(answers)} answers: the first {MAX_WORKERS} were aggregated")
        answers = answers[:MAX_WORKERS]
    if size and not (size[0] <= MAX_SIDE and size[1] <= MAX_SIDE):
        note = f"the image is {size[0]}x{size[1]}, larger than {MAX_SIDE}x{MAX_SIDE}"
        return MaskConsensus(None, None, None, note=f"{note}: not aggregated")
    read, refused = [], Counter()
    for answer in answers:
        try:
            read.append(_read(kind, answer if isinstance(answer, dict) else {}))
        except MaskError as exc:
            refused[str(exc)] += 1
    if read:
        shapes = Counter(a.map.shape for a in read)
        wanted = (size[1], size[0]) if size and (size[1], size[0]) in shapes else None
        wanted = wanted or shapes.most_common(1)[0][0]
        other = sum(1 for a in read if a.map.shape != wanted)
        if other:
            refused[f"not of the image's size {wanted[1]}x{wanted[0]}"] += other
        read = [a for a in read if a.map.shape == wanted]
    notes += [f"{count} answer(s) left out: {why}" for why, count in refused.items()]
    if not read:
        return MaskConsensus(None, None, None, note="; ".join(notes))
    em = method != "majority"
    if kind == "semantic":
        aggregate, labels, colours, maps = _semantic(read, em)
        class_map = aggregate
    else:
        aggregate, labels, colours, maps, classes = _instances(read, em)
        lookup = np.zeros(256, dtype=np.uint8)
        for n, label in enumerate(labels, start=1):
            lookup[n] = classes.index(label) + 1
        class_map = lookup[aggregate]
    rgba = np.zeros((*aggregate.shape, 4), dtype=np.uint8)
    present = set(np.unique(aggregate)) - {0}
    for n in present:
        value = _rgb(colours[n - 1]) or 0
        rgba[aggregate == n] = [(value >> 16) & 255, (value >> 8) & 255, value & 255, 255]
    if kind == "semantic":
        value = {
            "png": png_encode(rgba),
            "labels": {labels[n - 1]: colours[n - 1] for n in sorted(present)},
        }
    else:
        value = {
            "png": png_encode(rgba),
            "instances": [
                {"label": label, "color": colour}
                for label, colour in zip(labels, colours, strict=True)
            ],
        }
    confidence = _confidence(maps, class_map)
    return MaskConsensus(
        value=value,
        confidence=round(confidence, 4) if confidence is not None else None,
        agreement=round(_agreement(maps, class_map), 4) if len(read) > 1 else None,
        note="; ".join(notes),
        used=len(read),
    )
