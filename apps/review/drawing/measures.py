"""What the drawings measure and check, without the database: a colour per label, the
addresses a page may draw, how far workers' boxes agree, the share giving the most common
answer, A/B tasks told from others, and a text cut into the spans workers marked.

Everything here reads attacker input (a row's values are the requester's, answers the
worker's) and gives plain values back; nothing is markup until a template escapes it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from apps.batches import taskspec
from apps.batches.taskspec import TaskElement

# category10: one colour per label, in the order of the element's options. The stylesheet
# (static/css/drawn.css) has a `drawn-c<i>` class for each, for marks in HTML text, where an
# inline style cannot go.
PALETTE = taskspec.CROWD_COLOURS
# Boxes of two workers match when they have the same label and overlap at least this much.
MATCH_IOU = 0.5
# Past this, a coordinate is no pixel of any image: the shape is left out rather than drawn.
_MAX_COORDINATE = 1_000_000
_MAX_SPANS = 1000

_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+", re.I)
_PAIR_COLUMN = re.compile(r"(.+)_([A-Za-z])")
_AB_EXTRAS = {"tie", "same"}


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def label_colours(options: Iterable[str], seen: Iterable[str] = ()) -> dict[str, int]:
    """Label -> palette index: the element's options first, in their order, then any other
    label a worker gave, in the order met. Past the palette, colours repeat."""
    indexes: dict[str, int] = {}
    for label in [*options, *seen]:
        if label not in indexes:
            indexes[label] = len(indexes)
    return indexes


def safe_colour(value: Any, fallback: str) -> str:
    """A worker's colour (a mask's label colour) when it is `#rrggbb`, else the fallback."""
    return value.lower() if isinstance(value, str) and _HEX.fullmatch(value) else fallback


def safe_src(src: str) -> str:
    """The address when a page may draw it (an http(s) address of a plain host name, a path of
    this site, or an image `data:` URI), else ""."""
    src = (src or "").strip()
    if _DATA_IMAGE.fullmatch(src):
        return src
    try:
        parts = urlsplit(src)
        parts.port  # noqa: B018 - raises on a port that is no number
    except ValueError:
        return ""
    if parts.scheme in ("http", "https"):
        return src if _HOST.fullmatch(parts.hostname or "") else ""
    if not parts.scheme and not parts.netloc and src.startswith("/") and "\\" not in src:
        return src
    return ""


def src_origin(src: str) -> str:
    """`scheme://host[:port]` of an http(s) address `safe_src` allows ("" for paths and data
    URIs, which the page's policy already allows)."""
    if not safe_src(src):
        return ""
    parts = urlsplit(src.strip())
    if parts.scheme not in ("http", "https"):
        return ""
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def finite(*values: float) -> bool:
    return all(math.isfinite(v) and abs(v) <= _MAX_COORDINATE for v in values)


def svg_number(value: float) -> str:
    """A coordinate as an SVG attribute: two decimals at most, no locale."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def box_iou(a: dict, b: dict) -> float:
    """Intersection over union of two boxes ({left, top, width, height})."""
    ax, ay, aw, ah = box_edges(a)
    bx, by, bw, bh = box_edges(b)
    across = min(ax + aw, bx + bw) - max(ax, bx)
    down = min(ay + ah, by + bh) - max(ay, by)
    inter = max(0.0, across) * max(0.0, down)
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def box_edges(box: dict) -> tuple[float, float, float, float]:
    """(left, top, width, height) with a negative width or height turned round."""
    left, top = float(box["left"]), float(box["top"])
    width, height = float(box["width"]), float(box["height"])
    if width < 0:
        left, width = left + width, -width
    if height < 0:
        top, height = top + height, -height
    return left, top, width, height


def boxes_matched(
    a: Sequence[dict], b: Sequence[dict], *, threshold: float = MATCH_IOU
) -> list[tuple[int, int, float]]:
    """Pairs (index in a, index in b, IoU) of boxes with the same label overlapping at least
    `threshold`, each box in one pair at most, the best overlaps first."""
    candidates = []
    for i, box_a in enumerate(a):
        for j, box_b in enumerate(b):
            if str(box_a.get("label", "")).casefold() != str(box_b.get("label", "")).casefold():
                continue
            iou = box_iou(box_a, box_b)
            if iou >= threshold:
                candidates.append((iou, i, j))
    used_a, used_b, pairs = set(), set(), []
    for iou, i, j in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j, iou))
    return pairs


@dataclass(frozen=True)
class BoxAgreement:
    """How far several workers' boxes on one image agree, over every pair of workers."""

    workers: int
    # Mean IoU of the boxes matched (None when no box matched any other).
    mean_iou: float | None
    # Share of the boxes drawn that found a match in the other worker's (both drawing none
    # counts as full agreement: they agree there is nothing to box).
    matched: float

    @property
    def mean_iou_percent(self) -> int | None:
        return None if self.mean_iou is None else round(self.mean_iou * 100)

    @property
    def matched_percent(self) -> int:
        return round(self.matched * 100)


def box_agreement(
    answers: Sequence[Sequence[dict]], *, threshold: float = MATCH_IOU
) -> BoxAgreement | None:
    """The agreement of several workers' boxes (one list per worker); None for fewer than two."""
    if len(answers) < 2:
        return None
    ious: list[float] = []
    shares: list[float] = []
    for x in range(len(answers)):
        for y in range(x + 1, len(answers)):
            a, b = answers[x], answers[y]
            pairs = boxes_matched(a, b, threshold=threshold)
            ious.extend(iou for _, _, iou in pairs)
            drawn = len(a) + len(b)
            shares.append(2 * len(pairs) / drawn if drawn else 1.0)
    return BoxAgreement(
        workers=len(answers),
        mean_iou=sum(ious) / len(ious) if ious else None,
        matched=sum(shares) / len(shares),
    )


def majority_share(values: Sequence[Any]) -> float | None:
    """Share of the workers who gave the most common answer (lists compared as sets); None for
    fewer than two answers."""
    keys = [
        tuple(sorted(map(str, v))) if isinstance(v, list) else v for v in values if v is not None
    ]
    if len(keys) < 2:
        return None
    return Counter(keys).most_common(1)[0][1] / len(keys)


def ab_columns(element: TaskElement, values: dict[str, str]) -> list[tuple[str, str]] | None:
    """[(option, column)] when the element picks one of outputs "a", "b", ... (in any case,
    with "tie" or "same" allowed beside them) and the row has a column per letter:
    `response_a`, `response_b`, ... or another `<name>_a`, `<name>_b` set; else None."""
    if element.kind != taskspec.LABEL:
        return None
    letters = []
    for option in element.options:
        low = option.strip().casefold()
        if low in _AB_EXTRAS:
            continue
        if len(low) != 1 or not low.isalpha():
            return None
        letters.append(option)
    wanted = "abcdefghijklmnopqrstuvwxyz"[: len(letters)]
    if len(letters) < 2 or "".join(o.strip().casefold() for o in letters) != wanted:
        return None
    prefixes: dict[str, dict[str, str]] = {}
    for column in values:
        match = _PAIR_COLUMN.fullmatch(column)
        if match:
            prefixes.setdefault(match.group(1), {})[match.group(2).casefold()] = column
    order = sorted(prefixes, key=lambda p: p.casefold() != "response")
    for prefix in order:
        columns = prefixes[prefix]
        if all(letter in columns for letter in wanted):
            return [(option, columns[option.strip().casefold()]) for option in letters]
    return None


@dataclass
class Segment:
    """A piece of the text: its labels (those of every span over it) and the labels of the
    spans that end with it (written after it)."""

    text: str
    labels: list[str] = field(default_factory=list)
    colour: int = 0
    ends: list[tuple[str, int]] = field(default_factory=list)

    @property
    def overlap(self) -> bool:
        return len(self.labels) > 1


def entity_segments(
    text: str, spans: Iterable[Any], colours: dict[str, int] | None = None
) -> tuple[list[Segment], int]:
    """The text cut at every span's edge, and how many spans were left out.

    Offsets count Unicode code points (as Python's strings do). A span past the end is cut at
    the end; one that starts past it, is empty or is not `{label, start, end}` with integer
    offsets is left out; overlapping spans both mark the piece they share."""
    colours = colours if colours is not None else {}
    kept: list[tuple[int, int, str]] = []
    dropped = 0
    for span in spans:
        try:
            start, end = int(span["start"]), int(span["end"])
            label = str(span.get("label", ""))
        except (KeyError, TypeError, ValueError, AttributeError):
            dropped += 1
            continue
        end = min(end, len(text))
        if start < 0 or start >= end or len(kept) >= _MAX_SPANS:
            dropped += 1
            continue
        kept.append((start, end, label))
    for _, _, label in kept:
        colours.setdefault(label, len(colours))
    cuts = sorted({0, len(text), *(s for s, _, _ in kept), *(e for _, e, _ in kept)})
    segments = []
    for left, right in pairwise(cuts):
        over = [label for s, e, label in kept if s <= left and e >= right]
        labels = list(dict.fromkeys(over))
        ends = [(label, colours[label] % len(PALETTE)) for s, e, label in kept if e == right]
        first = colours.get(labels[0], 0) % len(PALETTE) if labels else 0
        segments.append(Segment(text[left:right], labels, first, list(dict.fromkeys(ends))))
    return segments, dropped
