"""The consensus of several workers' shapes on one image: boxes, keypoints, lines, polylines and
polygons, in `apps.batches.taskspec`'s shapes.

Every kind is aggregated the same way, per label, with a similarity of its own:

1. **Clusters.** Each worker's shapes are matched to the clusters made so far, greedily by
   descending similarity, at most one shape of a worker per cluster; a shape matched to none
   starts a cluster. A second pass matches every shape again against the first pass's
   consensus shapes, so the result hardly depends on which worker came first.
2. **Kept.** A cluster is kept when at least half of the workers who answered have a shape in
   it (its *support*); an outlier drawn by one worker of four is dropped.
3. **Consensus.** Boxes: the median of each edge. Keypoints: the mean point. Lines: the mean of
   each end (a line drawn the other way round counts the same). Polylines and polygons: the
   member most similar to the others (a medoid: the vertices a worker drew, not an average of
   polygons whose vertices do not correspond).

Similarities, from 0 (unrelated) to 1 (the same): boxes and polygons by the intersection over
union (IoU) of their boxes (a polygon's bounding box), matched from 0.5; keypoints, lines and
polylines by distance, `1 - d / radius` with the radius 5% of the image's diagonal, matched
within the radius (lines: the mean distance of their ends; polylines: the mean distance of each
one's vertices to the other's path, both ways).

Agreement of one image (0..1): over every cluster (kept or not), the mean of its support share
times the mean similarity of its members to its consensus; 1 when nobody drew anything.
Confidence: the mean support share of the kept shapes.

Pure numpy; the inputs are workers' answers, so shapes of the wrong size, non-finite or absurd
coordinates and endless lists are left out rather than trusted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BOX_IOU = 0.5
RADIUS_SHARE = 0.05  # of the image's diagonal
MIN_RADIUS = 3.0  # pixels, for tiny or unknown images
MAX_SHAPES = 100  # per worker and answer
MAX_VERTICES = 1000  # per shape
MAX_COORDINATE = 1e6

KINDS = ("boxes", "keypoints", "lines", "polylines", "polygons")
METHOD_LABELS = {
    "boxes": "IoU clustering (0.5), median box",
    "keypoints": "Distance clustering (5% of the diagonal), mean point",
    "lines": "End-distance clustering (5% of the diagonal), mean ends",
    "polylines": "Path-distance clustering (5% of the diagonal), medoid polyline",
    "polygons": "Bounding-box IoU clustering (0.5), medoid polygon",
}


class Similarity:
    """A similarity of two shapes (0..1), called on pairs, and on every pair of two lists at
    once (`matrix`, vectorised where the kind allows)."""

    def __init__(
        self,
        pair: Callable[[Any, Any], float],
        matrix: Callable[[list[Any], list[Any]], np.ndarray] | None = None,
    ) -> None:
        self.pair = pair
        self._matrix = matrix

    def __call__(self, a: Any, b: Any) -> float:
        return self.pair(a, b)

    def matrix(self, shapes: list[Any], centres: list[Any]) -> np.ndarray:
        if self._matrix is not None:
            return self._matrix(shapes, centres)
        return np.array([[self.pair(s, c) for c in centres] for s in shapes], dtype=float)


@dataclass
class Cluster:
    members: list[tuple[int, Any]] = field(default_factory=list)  # (worker index, shape)
    centre: Any = None


@dataclass
class Consensus:
    shapes: list[dict]  # in taskspec's shape for the kind
    support: list[float]  # each kept shape's share of workers
    confidence: float | None
    agreement: float | None
    note: str = ""


# --- clustering ------------------------------------------------------------------------------


def _match(
    shapes: list[Any], centres: list[Any], similarity: Similarity, threshold: float
) -> dict[int, int]:
    """Shape index -> centre index, greedily by descending similarity, one to one."""
    if not shapes or not centres:
        return {}
    scores = similarity.matrix(shapes, centres)
    rows, cols = np.nonzero(scores >= threshold)
    order = np.lexsort((cols, rows, -scores[rows, cols]))
    matched: dict[int, int] = {}
    taken: set[int] = set()
    for i, j in zip(rows[order].tolist(), cols[order].tolist(), strict=True):
        if i not in matched and j not in taken:
            matched[i] = j
            taken.add(j)
    return matched


def cluster(
    shapes_by_worker: list[list[Any]],
    similarity: Similarity | Callable[[Any, Any], float],
    consensus: Callable[[list[Any]], Any],
    threshold: float,
) -> list[Cluster]:
    """Clusters of shapes, at most one shape of each worker in a cluster (see the module)."""
    if not isinstance(similarity, Similarity):
        similarity = Similarity(similarity)
    clusters: list[Cluster] = []
    for worker, shapes in enumerate(shapes_by_worker):
        matched = _match(shapes, [c.centre for c in clusters], similarity, threshold)
        for i, shape in enumerate(shapes):
            if i in matched:
                target = clusters[matched[i]]
                target.members.append((worker, shape))
                target.centre = consensus([s for _, s in target.members])
            else:
                clusters.append(Cluster(members=[(worker, shape)], centre=shape))
    # Second pass: every shape against the first pass's consensus shapes, strongest first.
    centres = [c.centre for c in sorted(clusters, key=lambda c: -len(c.members))]
    again = [Cluster(centre=centre) for centre in centres]
    for worker, shapes in enumerate(shapes_by_worker):
        matched = _match(shapes, centres, similarity, threshold)
        for i, shape in enumerate(shapes):
            if i in matched:
                again[matched[i]].members.append((worker, shape))
            else:
                again.append(Cluster(members=[(worker, shape)], centre=shape))
    kept = [c for c in again if c.members]
    for c in kept:
        c.centre = consensus([s for _, s in c.members])
    return kept


# --- similarities and consensus shapes --------------------------------------------------------


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boxes given as (x1, y1, x2, y2)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def box_iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of `a` (n, 4) with every box of `b` (m, 4)."""
    a, b = np.asarray(a, dtype=float)[:, None, :], np.asarray(b, dtype=float)[None, :, :]
    width = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    height = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    inter = width * height
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def _median_box(members: list[np.ndarray]) -> np.ndarray:
    return np.median(np.stack(members), axis=0)


def _mean(members: list[np.ndarray]) -> np.ndarray:
    return np.mean(np.stack(members), axis=0)


def _line_aligned(line: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The line, its ends swapped when that brings them nearer the reference's."""
    flipped = line[[2, 3, 0, 1]]
    straight = np.hypot(*(line[:2] - reference[:2])) + np.hypot(*(line[2:] - reference[2:]))
    crossed = np.hypot(*(flipped[:2] - reference[:2])) + np.hypot(*(flipped[2:] - reference[2:]))
    return flipped if crossed < straight else line


def _line_distance(a: np.ndarray, b: np.ndarray) -> float:
    b = _line_aligned(b, a)
    return float((np.hypot(*(a[:2] - b[:2])) + np.hypot(*(a[2:] - b[2:]))) / 2)


def _mean_line(members: list[np.ndarray]) -> np.ndarray:
    reference = members[0]
    return np.mean(np.stack([_line_aligned(m, reference) for m in members]), axis=0)


def _to_path(points: np.ndarray, path: np.ndarray) -> np.ndarray:
    """Each point's distance to the nearest segment of a path (an (n, 2) array of vertices)."""
    if len(path) == 1:
        return np.hypot(*(points - path[0]).T)
    starts, ends = path[:-1], path[1:]
    seg = ends - starts  # (s, 2)
    length2 = np.maximum((seg**2).sum(axis=1), 1e-12)
    rel = points[:, None, :] - starts[None, :, :]  # (p, s, 2)
    t = np.clip((rel * seg[None]).sum(axis=2) / length2[None], 0, 1)
    nearest = starts[None] + t[..., None] * seg[None]
    return np.hypot(*(points[:, None, :] - nearest).transpose(2, 0, 1)).min(axis=1)


def _path_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float((_to_path(a, b).mean() + _to_path(b, a).mean()) / 2)


def _bounds(vertices: np.ndarray) -> np.ndarray:
    return np.concatenate([vertices.min(axis=0), vertices.max(axis=0)])


def _medoid(similarity: Callable[[Any, Any], float]) -> Callable[[list[Any]], Any]:
    def pick(members: list[Any]) -> Any:
        if len(members) <= 2:
            return members[0]
        scores = [
            sum(similarity(m, o) for k, o in enumerate(members) if k != i)
            for i, m in enumerate(members)
        ]
        return members[int(np.argmax(scores))]

    return pick


# --- reading workers' shapes -------------------------------------------------------------------


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) and abs(v) <= MAX_COORDINATE for v in values)


def _read(kind: str, shape: dict) -> np.ndarray | None:
    """A worker's shape as an array: boxes (x1, y1, x2, y2), keypoints (x, y), lines (x1, y1,
    x2, y2), polylines and polygons (n, 2) vertices; None when it is not a shape of the kind."""
    try:
        if kind == "boxes":
            left, top, width, height = (float(shape[k]) for k in ("left", "top", "width", "height"))
            if not _finite(left, top, width, height) or width <= 0 or height <= 0:
                return None
            return np.array([left, top, left + width, top + height])
        if kind == "keypoints":
            x, y = float(shape["x"]), float(shape["y"])
            return np.array([x, y]) if _finite(x, y) else None
        vertices = shape.get("vertices") or []
        points = [(float(v["x"]), float(v["y"])) for v in vertices[: MAX_VERTICES + 1]]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    if len(points) > MAX_VERTICES or not all(_finite(x, y) for x, y in points):
        return None
    array = np.array(points, dtype=float).reshape(-1, 2)
    if kind == "lines":
        return array[[0, -1]].reshape(4) if len(array) >= 2 else None
    if kind == "polylines":
        return array if len(array) >= 2 else None
    return array if len(array) >= 3 else None


def _write(kind: str, label: str, array: np.ndarray) -> dict:
    def number(value: float) -> float:
        return round(float(value), 2)

    if kind == "boxes":
        x1, y1, x2, y2 = array
        return {
            "label": label,
            "left": number(x1),
            "top": number(y1),
            "width": number(x2 - x1),
            "height": number(y2 - y1),
        }
    if kind == "keypoints":
        return {"label": label, "x": number(array[0]), "y": number(array[1])}
    vertices = array.reshape(-1, 2)
    return {"label": label, "vertices": [{"x": number(x), "y": number(y)} for x, y in vertices]}


def _diagonal(size: tuple[int, int] | None, arrays: list[np.ndarray]) -> float:
    if size:
        return math.hypot(*size)
    if not arrays:
        return 0.0
    points = np.concatenate([a.reshape(-1, 2) for a in arrays])
    return float(math.hypot(*np.maximum(points.max(axis=0), 1)))


def _similarity(kind: str, radius: float) -> tuple[Similarity, float]:
    """The similarity of two shapes of the kind, and the least one that matches."""
    if kind == "boxes":
        return Similarity(box_iou, lambda a, b: box_iou_matrix(np.stack(a), np.stack(b))), BOX_IOU
    if kind == "polygons":
        return Similarity(
            lambda a, b: box_iou(_bounds(a), _bounds(b)),
            lambda a, b: box_iou_matrix(
                np.stack([_bounds(x) for x in a]), np.stack([_bounds(x) for x in b])
            ),
        ), BOX_IOU

    def near(distance: np.ndarray) -> np.ndarray:
        return np.clip(1.0 - distance / radius, 0.0, None)

    if kind == "keypoints":
        return Similarity(
            lambda a, b: float(near(np.hypot(*(a - b)))),
            lambda a, b: near(np.linalg.norm(np.stack(a)[:, None] - np.stack(b)[None], axis=2)),
        ), 1e-9
    if kind == "lines":
        return Similarity(lambda a, b: float(near(_line_distance(a, b)))), 1e-9
    return Similarity(lambda a, b: float(near(_path_distance(a, b)))), 1e-9


def _consensus_of(kind: str, similarity: Similarity) -> Callable[[list[Any]], Any]:
    return {
        "boxes": _median_box,
        "keypoints": _mean,
        "lines": _mean_line,
    }.get(kind) or _medoid(similarity)


def shapes_consensus(
    kind: str, answers: list[list[dict]], size: tuple[int, int] | None = None
) -> Consensus:
    """The consensus of several workers' answers (one list of shapes each) on one image of
    `size` (width, height; None when no worker's element reported it)."""
    notes = []
    per_label: dict[str, list[list[np.ndarray]]] = {}
    workers = len(answers)
    arrays_all: list[np.ndarray] = []
    for worker, shapes in enumerate(answers):
        if len(shapes) > MAX_SHAPES:
            notes.append(f"only the first {MAX_SHAPES} shapes of an answer were read")
            shapes = shapes[:MAX_SHAPES]
        for shape in shapes:
            array = _read(kind, shape) if isinstance(shape, dict) else None
            if array is None:
                continue
            label = str(shape.get("label", ""))[:200]
            per_label.setdefault(label, [[] for _ in range(workers)])[worker].append(array)
            arrays_all.append(array)
    radius = max(MIN_RADIUS, RADIUS_SHARE * _diagonal(size, arrays_all))
    similarity, threshold = _similarity(kind, radius)
    consensus = _consensus_of(kind, similarity)
    kept: list[tuple[dict, float]] = []
    scores: list[float] = []
    for label in sorted(per_label):
        for group in cluster(per_label[label], similarity, consensus, threshold):
            supporters = len({w for w, _ in group.members})
            share = supporters / workers
            fit = float(np.mean([similarity(s, group.centre) for _, s in group.members]))
            scores.append(share * fit)
            if supporters * 2 >= workers:
                kept.append((_write(kind, label, group.centre), share))
    kept.sort(key=lambda item: _position(item[0]))
    support = [round(share, 4) for _, share in kept]
    agreement = None
    if workers >= 2:
        agreement = round(float(np.mean(scores)), 4) if scores else 1.0
    return Consensus(
        shapes=[shape for shape, _ in kept],
        support=support,
        confidence=round(float(np.mean(support)), 4) if support else None,
        agreement=agreement,
        note="; ".join(dict.fromkeys(notes)),
    )


def _position(shape: dict) -> tuple:
    """Kept shapes in reading order: top to bottom, left to right, then by label."""
    if "left" in shape:
        return (shape["top"], shape["left"], shape["label"])
    if "x" in shape:
        return (shape["y"], shape["x"], shape["label"])
    first = shape["vertices"][0]
    return (first["y"], first["x"], shape["label"])


def common_size(sizes: list[tuple[int, int] | None]) -> tuple[int, int] | None:
    """The image size most workers' elements reported."""
    known = Counter(s for s in sizes if s)
    return known.most_common(1)[0][0] if known else None
