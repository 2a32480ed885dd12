"""A drawing made of a task and its workers' answers (see the package): one block per
answering element, in the template's order, the other workers as layers of shapes and masks,
and the aggregated answer as one more layer."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.urls import NoReverseMatch, reverse

from apps.batches import services as batch_services
from apps.batches import taskspec
from apps.batches.taskspec import TaskElement, TaskSpec
from apps.review.drawing.blocks import (
    AB,
    AGGREGATED,
    Cell,
    Choice,
    Drawing,
    Entities,
    EntityLine,
    Figure,
    Layer,
    LegendItem,
    Media,
    Option,
    Row,
    Shape,
    Side,
    Summary,
    Table,
    Transcript,
    Who,
)
from apps.review.drawing.measures import (
    PALETTE,
    ab_columns,
    box_agreement,
    box_edges,
    colour,
    entity_segments,
    finite,
    label_colours,
    majority_share,
    safe_colour,
    safe_src,
    svg_number,
)

# A stroke pattern per worker, so that layers drawn over each other stay apart.
DASHES = ("", "10 5", "3 4", "12 4 3 4", "1 6")
DEFAULT_SIZE = (800, 600)
# The assignments whose answers a drawing shows (the others have none to show).
SHOWN = ("Submitted", "Approved", "Rejected")
CHOICE_TAGS = {
    "crowd-classifier",
    "crowd-image-classifier",
    "crowd-classifier-multi-select",
    "crowd-image-classifier-multi-select",
}
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")


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
    return task_drawing(spec, row.values or {}, [assignment, *rest], own=assignment)


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
    drawn = task_drawing(spec, row.values or {}, list(assignments), own=None)
    if aggregated:
        aggregate_add(drawn, spec, aggregated)
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


def task_drawing(spec: TaskSpec, values: dict, assignments: list, *, own) -> Drawing:
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
        left, top, width, height = box_edges(item)
        if not finite(left, top, width, height):
            return None
        above = top - font * 0.3
        return Shape(
            "rect",
            label,
            colour_hex,
            x=svg_number(left),
            y=svg_number(top),
            width=svg_number(width),
            height=svg_number(height),
            text_x=svg_number(left + 2),
            text_y=svg_number(above if above > font else top + font),
        )
    if kind == taskspec.KEYPOINTS:
        x, y = item["x"], item["y"]
        if not finite(x, y):
            return None
        return Shape(
            "circle",
            label,
            colour_hex,
            x=svg_number(x),
            y=svg_number(y),
            text_x=svg_number(x + font * 0.5),
            text_y=svg_number(y - font * 0.4),
        )
    vertices = [(v["x"], v["y"]) for v in item.get("vertices", [])]
    if not vertices or not all(finite(x, y) for x, y in vertices):
        return None
    first_x, first_y = vertices[0]
    return Shape(
        "polygon" if kind == taskspec.POLYGONS else "polyline",
        label,
        colour_hex,
        points=" ".join(f"{svg_number(x)},{svg_number(y)}" for x, y in vertices),
        text_x=svg_number(first_x + 2),
        text_y=svg_number(first_y - font * 0.3 if first_y > font else first_y + font),
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
        agreement = box_agreement(
            [[b for b in items if finite(*box_edges(b))] for items, _ in answers]
        )
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
        font=svg_number(font),
        radius=svg_number(max(3.0, width / 160)),
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


def aggregate_add(drawn: Drawing, spec: TaskSpec, results: dict) -> None:
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
