"""Answers drawn as a person checks them: a batch HIT's task (`apps.batches.taskspec`) and its
workers' answers turned into blocks a template draws, one per kind of element.

- shapes (boxes, keypoints, lines, polylines, polygons): the image with an SVG overlay in the
  image's own pixels, a layer per worker, a colour per label, and the boxes' agreement;
- masks (semantic, instance): the image with each worker's painted PNG over it, and a legend;
- entities: the text with each labelled span marked;
- a transcript: the audio or video beside the text answers;
- A/B: both outputs side by side, the chosen one marked;
- choices (classifiers): the chosen labels among the element's options;
- everything else: a table of questions and answers.

`assignment_drawing` makes a review card's (the worker's own answer, plus the other workers'
shapes and masks as layers), `hit_drawing` a results page's (every worker alike). Both read the
task with a `SpecCache`, so a page parses a row's template once however many assignments it
shows. None means "no drawing": the HIT is not from a batch, or its template asks nothing we
read; the card then lists the answer fields as before.

Everything here is attacker input (the row is the requester's, answers the worker's): it is
only ever handed to templates, which escape it; numbers are checked finite before they reach an
SVG attribute, colours are checked `#rrggbb`, and images are drawn only from addresses a page
may load (`safe_src`).
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

from django.urls import NoReverseMatch, reverse

from apps.batches import services as batch_services
from apps.batches import taskspec
from apps.batches.taskspec import TaskElement, TaskSpec

# category10: one colour per label, in the order of the element's options. The stylesheet
# (static/css/drawn.css) has a `drawn-c<i>` class for each, for marks in HTML text, where an
# inline style cannot go.
PALETTE = (
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
)
# A stroke pattern per worker, so that layers drawn over each other stay apart.
DASHES = ("", "10 5", "3 4", "12 4 3 4", "1 6")
DEFAULT_SIZE = (800, 600)
# Boxes of two workers match when they have the same label and overlap at least this much.
MATCH_IOU = 0.5
# Past this, a coordinate is no pixel of any image: the shape is left out rather than drawn.
_MAX_COORDINATE = 1_000_000
_MAX_SPANS = 1000
# The assignments whose answers a drawing shows (the others have none to show).
SHOWN = ("Submitted", "Approved", "Rejected")

_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]+", re.I)
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")
_PAIR_COLUMN = re.compile(r"(.+)_([A-Za-z])")
_AB_EXTRAS = {"tie", "same"}

CHOICE_TAGS = {
    "crowd-classifier",
    "crowd-image-classifier",
    "crowd-classifier-multi-select",
    "crowd-image-classifier-multi-select",
}


# --- pure helpers -------------------------------------------------------------------------


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


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) and abs(v) <= _MAX_COORDINATE for v in values)


def _num(value: float) -> str:
    """A coordinate as an SVG attribute: two decimals at most, no locale."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def box_iou(a: dict, b: dict) -> float:
    """Intersection over union of two boxes ({left, top, width, height})."""
    ax, ay, aw, ah = _box(a)
    bx, by, bw, bh = _box(b)
    across = min(ax + aw, bx + bw) - max(ax, bx)
    down = min(ay + ah, by + bh) - max(ay, by)
    inter = max(0.0, across) * max(0.0, down)
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def _box(box: dict) -> tuple[float, float, float, float]:
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


# --- view model ---------------------------------------------------------------------------


@dataclass
class Who:
    """A worker whose answer is drawn: `key` names their layer within one drawing."""

    key: str
    worker_id: str
    assignment_id: str
    status: str
    own: bool = False
    dash: str = ""
    url: str = ""
    aggregated: bool = False  # not a worker: the answer aggregated from theirs


AGGREGATED = Who("agg", "Aggregated", "", "", aggregated=True)


@dataclass
class Shape:
    tag: str  # rect | circle | polyline | polygon
    label: str
    colour: str
    x: str = ""
    y: str = ""
    width: str = ""
    height: str = ""
    r: str = ""
    points: str = ""
    text_x: str = ""
    text_y: str = ""


@dataclass
class Layer:
    who: Who
    shapes: list[Shape] = field(default_factory=list)
    mask: str = ""  # the worker's painted PNG as a data URI
    on: bool = True


@dataclass
class LegendItem:
    label: str
    colour: str
    index: int = 0


@dataclass
class Figure:
    """Shapes or masks over an image, a layer per worker."""

    partial: str  # "shapes" | "mask"
    name: str
    header: str
    kind: str
    image: str
    width: int
    height: int
    layers: list[Layer]
    legend: list[LegendItem]
    agreement: BoxAgreement | None = None
    font: str = "16"
    stroke: str = "2"
    radius: str = "5"

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"

    @property
    def toggles(self) -> bool:
        return len(self.layers) > 1

    @property
    def empty(self) -> bool:
        return not any(layer.shapes or layer.mask for layer in self.layers)


@dataclass
class EntityLine:
    who: Who
    segments: list[Segment]
    dropped: int = 0
    answered: bool = True


@dataclass
class Entities:
    name: str
    header: str
    lines: list[EntityLine]
    legend: list[LegendItem]
    partial: str = "entities"


@dataclass
class Option:
    label: str
    index: int
    listed: bool = True  # one of the element's options (a worker may send another)
    chosen_by: list[Who] = field(default_factory=list)

    @property
    def chosen(self) -> bool:
        return bool(self.chosen_by)

    @property
    def count(self) -> int:
        return len(self.chosen_by)


@dataclass
class Choice:
    name: str
    header: str
    image: str
    options: list[Option]
    answered: int
    agreement: float | None = None
    voters: int = 1  # the workers drawn: past one, each option says how many chose it
    partial: str = "choice"

    @property
    def agreement_percent(self) -> int | None:
        return None if self.agreement is None else round(self.agreement * 100)


@dataclass
class Side:
    option: str
    column: str
    text: str
    chosen_by: list[Who] = field(default_factory=list)

    @property
    def chosen(self) -> bool:
        return bool(self.chosen_by)


@dataclass
class AB:
    name: str
    header: str
    sides: list[Side]
    others: list[Option]  # "tie", "same", or a label of no side
    agreement: float | None = None
    voters: int = 1
    partial: str = "ab"

    @property
    def agreement_percent(self) -> int | None:
        return None if self.agreement is None else round(self.agreement * 100)


@dataclass
class Cell:
    who: Who
    text: str = ""
    options: list[tuple[str, bool]] | None = None  # a categorical answer: (option, chosen)
    answered: bool = True


@dataclass
class Row:
    question: str
    name: str
    cells: list[Cell]


@dataclass
class Table:
    rows: list[Row]
    workers: list[Who]
    partial: str = "table"


@dataclass
class Media:
    tag: str  # audio | video
    src: str


@dataclass
class Transcript:
    media: list[Media]
    rows: list[Row]
    workers: list[Who]
    partial: str = "transcript"


@dataclass
class Summary:
    """One field's aggregated answer, in words."""

    name: str
    question: str
    kind: str
    text: str
    confidence: int | None  # percent
    agreement: int | None  # percent
    answers: int = 0
    method: str = ""


@dataclass
class Drawing:
    blocks: list
    workers: list[Who]
    sources: list[str] = field(default_factory=list)  # every image and media address drawn
    aggregate: list[Summary] = field(default_factory=list)

    @property
    def origins(self) -> set[str]:
        """The origins a page must let load images and media for this drawing."""
        return {o for o in (src_origin(s) for s in self.sources) if o}


def media_policy(drawings: Iterable[Drawing | None]) -> dict[str, list[str]]:
    """What a page's Content-Security-Policy adds for its drawings: the exact origins their
    images and media load from (paths of this site and `data:` images it allows already)."""
    origins = sorted({o for d in drawings if d is not None for o in d.origins})
    if not origins:
        return {}
    return {"img-src": origins, "media-src": ["'self'", *origins]}


class SpecCache:
    """Task specs read once per batch row within a request (a page of cards shows several
    assignments of one row, and several rows of one batch)."""

    def __init__(self) -> None:
        self._specs: dict[int, TaskSpec | None] = {}
        self._properties: dict[int, dict] = {}

    def for_row(self, row) -> TaskSpec | None:
        if row.pk not in self._specs:
            batch = row.batch
            if batch.pk not in self._properties:
                self._properties[batch.pk] = batch_services.batch_properties(batch)
            props = self._properties[batch.pk]
            spec = taskspec.task_spec(
                props.get("template", ""),
                row.values or {},
                kind=props.get("question_kind", ""),
            )
            self._specs[row.pk] = spec if spec.elements else None
        return self._specs[row.pk]


def batch_row(hit) -> Any:
    """The batch row a HIT was made from (None for HITs of no batch), from the prefetched rows
    when the queryset prefetched them."""
    rows = list(hit.batch_rows.all())
    return rows[0] if rows else None


def needs_layers(spec: TaskSpec | None) -> bool:
    """Whether a card of this task draws the other workers' answers too (shapes and masks)."""
    return bool(spec) and any(
        e.kind in taskspec.SHAPES or e.kind in taskspec.MASKS for e in spec.elements
    )


def assignment_drawing(
    assignment, *, others: Iterable = (), specs: SpecCache | None = None
) -> Drawing | None:
    """A review card's drawing: the assignment's answer, with the shapes and masks of the
    HIT's `others` (its other submitted, approved or rejected assignments) as layers."""
    row = batch_row(assignment.hit)
    if row is None:
        return None
    spec = (specs or SpecCache()).for_row(row)
    if spec is None:
        return None
    rest = [o for o in others if o.pk != assignment.pk and o.status in SHOWN]
    return _drawing(spec, row.values or {}, [assignment, *rest], own=assignment)


def hit_drawing(
    row, assignments: Sequence, *, specs: SpecCache | None = None, aggregated: dict | None = None
) -> Drawing | None:
    """A results page's drawing of one HIT: every assignment's answer, each worker alike, and
    the HIT's aggregated answers (`aggregate.batch_aggregate(...).items[hit]`: field -> result
    with `.value`, `.confidence`, `.agreement`) as one more layer of shapes, masks and spans
    and a summary (`Drawing.aggregate`)."""
    spec = (specs or SpecCache()).for_row(row)
    if spec is None:
        return None
    drawn = _drawing(spec, row.values or {}, list(assignments), own=None)
    if aggregated:
        _add_aggregate(drawn, spec, aggregated, row.values or {})
    return drawn


def workers_of(assignments: Sequence, *, own=None) -> list[Who]:
    """The workers of these assignments as drawings name them (with their page's address)."""
    return [_who(i, a, own) for i, a in enumerate(assignments)]


def _who(index: int, assignment, own) -> Who:
    worker_id = assignment.worker_id or ""
    try:
        url = reverse("workers-detail", args=[worker_id]) if worker_id else ""
    except NoReverseMatch:  # a worker id of no MTurk shape: shown, not linked
        url = ""
    return Who(
        key=f"w{index}",
        worker_id=worker_id,
        assignment_id=assignment.mturk_id,
        status=assignment.status,
        own=own is not None and assignment.pk == own.pk,
        dash=DASHES[index % len(DASHES)],
        url=url,
    )


def _drawing(spec: TaskSpec, values: dict, assignments: list, *, own) -> Drawing:
    people = [(a, _who(i, a, own)) for i, a in enumerate(assignments)]
    # On a card, only shapes and masks show the other workers; everything else is the worker's.
    alone = people[:1] if own is not None else people
    drawing = Drawing(blocks=[], workers=[w for _, w in people])
    plain: list[TaskElement] = []
    texts: list[TaskElement] = []
    media = [
        Media(m.tag, safe_src(m.src))
        for m in spec.media
        if m.tag in ("audio", "video") and safe_src(m.src)
    ]

    def flush() -> None:
        if plain:
            drawing.blocks.append(_table(plain, alone))
            plain.clear()

    for element in spec.elements:
        kind = element.kind
        if kind in taskspec.SHAPES:
            flush()
            drawing.blocks.append(_shapes(element, people))
        elif kind in taskspec.MASKS:
            flush()
            drawing.blocks.append(_masks(element, people))
        elif kind == taskspec.ENTITIES:
            flush()
            drawing.blocks.append(_entities(element, alone))
        elif (columns := ab_columns(element, values)) is not None:
            flush()
            drawing.blocks.append(_ab(element, columns, values, alone))
        elif element.tag in CHOICE_TAGS:
            flush()
            drawing.blocks.append(_choice(element, alone))
        elif kind == taskspec.TEXT and media:
            if not texts:
                flush()
                drawing.blocks.append(
                    Transcript(media=media, rows=[], workers=[w for _, w in alone])
                )
            texts.append(element)
        else:
            plain.append(element)
    flush()
    if media and not texts:
        drawing.blocks.insert(0, Transcript(media=media, rows=[], workers=[w for _, w in alone]))
    for block in drawing.blocks:
        if isinstance(block, Figure) and own is not None:
            # A card is about its worker's answer: the others' layers start hidden, a tick away.
            for layer in block.layers:
                layer.on = layer.who.own
        if isinstance(block, Transcript):
            block.rows = [_row(e, alone) for e in texts]
        if isinstance(block, (Figure, Choice)) and block.image:
            drawing.sources.append(block.image)
    drawing.sources.extend(m.src for m in media)
    return drawing


def _answer(element: TaskElement, assignment) -> Any:
    return taskspec.answer_value(element, assignment.answers or {}, assignment.task_answers)


def _size(element: TaskElement, people: list) -> tuple[int, int]:
    for assignment, _ in people:
        size = taskspec.image_size(assignment.task_answers, element)
        if size:
            return size
    return DEFAULT_SIZE


def _shape(kind: str, item: dict, colour_hex: str, font: float) -> Shape | None:
    label = item.get("label", "")
    if kind == taskspec.BOXES:
        left, top, width, height = _box(item)
        if not _finite(left, top, width, height):
            return None
        above = top - font * 0.3
        return Shape(
            "rect",
            label,
            colour_hex,
            x=_num(left),
            y=_num(top),
            width=_num(width),
            height=_num(height),
            text_x=_num(left + 2),
            text_y=_num(above if above > font else top + font),
        )
    if kind == taskspec.KEYPOINTS:
        x, y = item["x"], item["y"]
        if not _finite(x, y):
            return None
        return Shape(
            "circle",
            label,
            colour_hex,
            x=_num(x),
            y=_num(y),
            text_x=_num(x + font * 0.5),
            text_y=_num(y - font * 0.4),
        )
    vertices = [(v["x"], v["y"]) for v in item.get("vertices", [])]
    if not vertices or not all(_finite(x, y) for x, y in vertices):
        return None
    first_x, first_y = vertices[0]
    return Shape(
        "polygon" if kind == taskspec.POLYGONS else "polyline",
        label,
        colour_hex,
        points=" ".join(f"{_num(x)},{_num(y)}" for x, y in vertices),
        text_x=_num(first_x + 2),
        text_y=_num(first_y - font * 0.3 if first_y > font else first_y + font),
    )


def _legend(colours: dict[str, int]) -> list[LegendItem]:
    return [LegendItem(label, colour(i), i % len(PALETTE)) for label, i in colours.items()]


def _shapes(element: TaskElement, people: list) -> Figure:
    width, height = _size(element, people)
    font = max(10.0, round(width / 45, 1))
    answers = [(_answer(element, a) or [], who) for a, who in people]
    colours = label_colours(element.options, (s["label"] for items, _ in answers for s in items))
    layers = []
    for items, who in answers:
        shapes = [_shape(element.kind, s, colour(colours[s["label"]]), font) for s in items]
        layers.append(Layer(who, [s for s in shapes if s is not None]))
    agreement = None
    if element.kind == taskspec.BOXES:
        agreement = box_agreement([[b for b in items if _finite(*_box(b))] for items, _ in answers])
    return Figure(
        partial="shapes",
        name=element.name,
        header=element.header,
        kind=element.kind,
        image=safe_src(element.src),
        width=width,
        height=height,
        layers=layers,
        legend=_legend(colours),
        agreement=agreement,
        font=_num(font),
        radius=_num(max(3.0, width / 160)),
    )


def _masks(element: TaskElement, people: list) -> Figure:
    width, height = _size(element, people)
    colours = label_colours(element.options)
    legend: dict[str, str] = {}
    layers = []
    for assignment, who in people:
        value = _answer(element, assignment)
        png = value.get("png", "") if isinstance(value, dict) else ""
        uri = f"data:image/png;base64,{png}" if png and _BASE64.fullmatch(png) else ""
        if isinstance(value, dict):
            pairs = (
                value.get("labels", {}).items()
                if element.kind == taskspec.SEMANTIC
                else ((i["label"], i["color"]) for i in value.get("instances", []))
            )
            for label, painted in pairs:
                index = colours.setdefault(label, len(colours))
                legend.setdefault(label, safe_colour(painted, colour(index)))
        layers.append(Layer(who, mask=uri))
    for label, index in colours.items():
        legend.setdefault(label, colour(index))
    return Figure(
        partial="mask",
        name=element.name,
        header=element.header,
        kind=element.kind,
        image=safe_src(element.src),
        width=width,
        height=height,
        layers=layers,
        legend=[LegendItem(label, hexa) for label, hexa in legend.items()],
    )


def _entities(element: TaskElement, people: list) -> Entities:
    colours = label_colours(element.options)
    lines = []
    for assignment, who in people:
        value = _answer(element, assignment)
        segments, dropped = entity_segments(element.text, value or [], colours)
        lines.append(EntityLine(who, segments, dropped, answered=value is not None))
    return Entities(element.name, element.header, lines, _legend(colours))


def _chosen(element: TaskElement, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, bool):
        return [element.options[0] if element.options else "on"] if value else []
    return [str(value)]


def _options(element: TaskElement, people: list) -> tuple[list[Option], int, float | None]:
    colours = label_colours(element.options)
    options = {label: Option(label, i % len(PALETTE)) for label, i in colours.items()}
    values, answered = [], 0
    for assignment, who in people:
        value = _answer(element, assignment)
        values.append(value)
        answered += value is not None
        for label in _chosen(element, value):
            if label not in options:
                index = colours.setdefault(label, len(colours))
                options[label] = Option(label, index % len(PALETTE), listed=False)
            options[label].chosen_by.append(who)
    return list(options.values()), answered, majority_share(values)


def _choice(element: TaskElement, people: list) -> Choice:
    options, answered, agreement = _options(element, people)
    image = safe_src(element.src)
    return Choice(element.name, element.header, image, options, answered, agreement, len(people))


def _ab(element: TaskElement, columns: list[tuple[str, str]], values: dict, people: list) -> AB:
    options, _, agreement = _options(element, people)
    by_label = {o.label: o for o in options}
    sides = [
        Side(option, column, str(values.get(column, "")), by_label[option].chosen_by)
        for option, column in columns
    ]
    sided = {option for option, _ in columns}
    others = [o for o in options if o.label not in sided]
    return AB(element.name, element.header, sides, others, agreement, voters=len(people))


def _cell(element: TaskElement, assignment, who: Who) -> Cell:
    value = _answer(element, assignment)
    if value is None:
        return Cell(who, answered=False)
    if element.kind in (taskspec.LABEL, taskspec.LABELS) or (
        element.kind == taskspec.FLAG and len(element.options) > 1
    ):
        chosen = _chosen(element, value)
        listed = list(element.options)
        extra = [(c, True) for c in chosen if c not in listed]
        return Cell(who, options=[(o, o in chosen) for o in listed] + extra)
    if element.kind == taskspec.FLAG:
        return Cell(who, text="yes" if value else "no")
    if element.kind == taskspec.NUMBER:
        return Cell(who, text=f"{value:g}")
    return Cell(who, text=str(value))


def _row(element: TaskElement, people: list) -> Row:
    return Row(
        element.header or element.name,
        element.name,
        [_cell(element, assignment, who) for assignment, who in people],
    )


def _table(elements: list[TaskElement], people: list) -> Table:
    return Table([_row(e, people) for e in elements], [w for _, w in people])


# --- the aggregated answer ----------------------------------------------------------------


def _percent(value: Any) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number * 100) if math.isfinite(number) else None


def _add_aggregate(drawn: Drawing, spec: TaskSpec, results: dict, values: dict) -> None:
    """The aggregated shapes, masks and spans as one more layer of their blocks, and every
    field's aggregated answer in words."""
    for block in drawn.blocks:
        result = results.get(getattr(block, "name", None))
        value = getattr(result, "value", None)
        if value is None:
            continue
        element = spec.element(block.name)
        if isinstance(block, Figure) and block.partial == "shapes":
            font = float(block.font)
            colours = {item.label: item.index for item in block.legend}
            shapes = []
            for item in value if isinstance(value, list) else []:
                if isinstance(item, dict) and "label" in item:
                    index = colours.setdefault(item["label"], len(colours))
                    shapes.append(_shape(block.kind, item, colour(index), font))
            block.layers.append(Layer(AGGREGATED, [s for s in shapes if s is not None]))
        elif isinstance(block, Figure):
            png = value.get("png", "") if isinstance(value, dict) else ""
            if isinstance(png, str) and png and _BASE64.fullmatch(png):
                block.layers.append(Layer(AGGREGATED, mask=f"data:image/png;base64,{png}"))
        elif isinstance(block, Entities) and element is not None:
            colours = {item.label: item.index for item in block.legend}
            segments, dropped = entity_segments(element.text, value, colours)
            block.lines.append(EntityLine(AGGREGATED, segments, dropped))
    for element in spec.elements:
        result = results.get(element.name)
        if result is None:
            continue
        drawn.aggregate.append(
            Summary(
                element.name,
                element.header or element.name,
                element.kind,
                _summary_text(element, getattr(result, "value", None)),
                _percent(getattr(result, "confidence", None)),
                _percent(getattr(result, "agreement", None)),
                int(getattr(result, "answers", 0) or 0),
                str(getattr(result, "method", "") or ""),
            )
        )


_SHAPE_WORDS = {
    taskspec.BOXES: "box",
    taskspec.KEYPOINTS: "keypoint",
    taskspec.LINES: "line",
    taskspec.POLYLINES: "polyline",
    taskspec.POLYGONS: "polygon",
}


def _summary_text(element: TaskElement, value: Any) -> str:
    kind = element.kind
    if value is None:
        return ""
    if kind in _SHAPE_WORDS and isinstance(value, list):
        word = _SHAPE_WORDS[kind]
        plural = "es" if word == "box" else "s"
        labels = Counter(str(s.get("label", "")) for s in value if isinstance(s, dict))
        listed = ", ".join(f"{n} {label}" for label, n in labels.items())
        return f"{len(value)} {word}{'' if len(value) == 1 else plural}" + (
            f" ({listed})" if listed else ""
        )
    if kind in taskspec.MASKS:
        return "A mask drawn over the image above"
    if kind == taskspec.ENTITIES and isinstance(value, list):
        parts = []
        for span in value:
            try:
                start, end = int(span["start"]), int(span["end"])
            except (KeyError, TypeError, ValueError):
                continue
            parts.append(f"{span.get('label', '')}: {element.text[start:end]}")
        return "; ".join(parts) or "No span"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
