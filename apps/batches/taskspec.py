"""What a batch's HIT asks and shows, read from its template filled with the HIT's row: the
answering elements (with their options, image or text) and the media the worker saw.

The review cards draw answers with it (`apps/review/drawing.py`) and the aggregation reads
answers with it (`apps/review/quality/aggregate.py`), so both see a task the same way:

- `task_spec(template, values)` reads an HTML template once per row;
- `answer_value(element, assignment_answers, task_answers)` gives one element's answer in one
  shape per kind, whatever the element (a crowd-classifier's `{"label": x}`, a radio group's
  `{"x": true, "y": false}` and a native radio's `"x"` are all the label `"x"`).

Kinds: `label` (one of options), `labels` (several of options), `text`, `number`, `flag`,
`boxes`, `keypoints`, `lines`, `polylines`, `polygons`, `semantic`, `instances`, `entities`.

Everything here reads attacker input (a row's values are the requester's, answers are the
worker's): values are never evaluated, lists are parsed as JSON or as the single-quoted literals
MTurk's own templates write, and an answer of the wrong shape reads as no answer.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from apps.batches import templating
from apps.batches.models import QuestionKind

LABEL, LABELS, TEXT, NUMBER, FLAG = "label", "labels", "text", "number", "flag"
BOXES, KEYPOINTS, LINES, POLYLINES, POLYGONS = (
    "boxes",
    "keypoints",
    "lines",
    "polylines",
    "polygons",
)
SEMANTIC, INSTANCES, ENTITIES = "semantic", "instances", "entities"
SHAPES = (BOXES, KEYPOINTS, LINES, POLYLINES, POLYGONS)
MASKS = (SEMANTIC, INSTANCES)

# The crowd element, its kind, the attribute holding its options, and the key of its answer.
_CROWD = {
    "crowd-classifier": (LABEL, "categories"),
    "crowd-image-classifier": (LABEL, "categories"),
    "crowd-classifier-multi-select": (LABELS, "categories"),
    "crowd-image-classifier-multi-select": (LABELS, "categories"),
    "crowd-input": (TEXT, ""),
    "crowd-text-area": (TEXT, ""),
    "crowd-slider": (NUMBER, ""),
    "crowd-toggle-button": (FLAG, ""),
    "crowd-bounding-box": (BOXES, "labels"),
    "crowd-keypoint": (KEYPOINTS, "labels"),
    "crowd-line": (LINES, "labels"),
    "crowd-polyline": (POLYLINES, "labels"),
    "crowd-polygon": (POLYGONS, "labels"),
    "crowd-semantic-segmentation": (SEMANTIC, "labels"),
    "crowd-instance-segmentation": (INSTANCES, "labels"),
    "crowd-entity-annotation": (ENTITIES, "labels"),
}
_SHAPE_KEY = {
    BOXES: "boundingBoxes",
    KEYPOINTS: "keypoints",
    LINES: "lines",
    POLYLINES: "polylines",
    POLYGONS: "polygons",
}
# The crowd script's colours (d3's category10), a label's being the one at its position in the
# element's labels: segmentation answers paint with them, the drawings draw with them.
CROWD_COLOURS = (
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
_MEDIA_TAGS = {"img", "audio", "video", "source"}
# What an HTML form carries for MTurk itself, not as an answer.
RESERVED_NAMES = {"assignmentId", "hitId", "workerId", "turkSubmitTo"}


@dataclass
class TaskElement:
    name: str
    tag: str
    kind: str
    options: list[str] = field(default_factory=list)
    # The question or header a person reads beside it ("" when the template gives none).
    header: str = ""
    src: str = ""  # the image a shape tool, segmentation or image classifier works on
    text: str = ""  # the text entity annotation labels
    crowd: bool = True

    @property
    def categorical(self) -> bool:
        return self.kind in (LABEL, LABELS, FLAG)


@dataclass(frozen=True)
class Media:
    tag: str  # img | audio | video
    src: str
    alt: str = ""


@dataclass
class TaskSpec:
    elements: list[TaskElement] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    crowd_form: bool = False

    def element(self, name: str) -> TaskElement | None:
        return next((e for e in self.elements if e.name == name), None)

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(e.kind for e in self.elements))


def options_parse(text: str) -> list[str]:
    """A list attribute as MTurk's templates write it: JSON (`["a", "b"]`), a single-quoted
    literal (`['a', 'b']`), objects with a label (`[{label: 'Person'}]`), or `a, b`."""
    text = (text or "").strip()
    if not text:
        return []
    data: Any = None
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            data = _relaxed_objects(text)
    if data is None:
        data = [part.strip() for part in text.strip("[]").split(",") if part.strip()]
    if not isinstance(data, (list, tuple)):
        data = [data]
    out = []
    for item in data:
        if isinstance(item, dict):
            item = item.get("label", item.get("text", ""))
        text_item = str(item).strip()
        if text_item:
            out.append(text_item)
    return list(dict.fromkeys(out))


def _relaxed_objects(text: str) -> list | None:
    """`[{label: 'Person', shortDisplayName: 'per'}]`: the keys quoted, then read as a literal."""
    quoted = re.sub(r"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:", r'\1"\2":', text)
    try:
        data = ast.literal_eval(quoted)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return list(data) if isinstance(data, (list, tuple)) else None


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.spec = TaskSpec()
        self._groups: list[TaskElement] = []  # crowd-radio-group: the buttons' name and values
        self._natives: dict[str, TaskElement] = {}
        self._select: TaskElement | None = None
        self._option_value: str | None = None
        self._texts: list[str] = []  # the text read since the last answering element

    def _add(self, element: TaskElement) -> TaskElement:
        """The element, or the one of its name already read (radio buttons, check boxes)."""
        text = self._recent_text()
        known = self.spec.element(element.name)
        if known is not None:
            return known
        if self._groups and self._groups[-1].header and element.tag == "crowd-radio-group":
            element.header = self._groups[-1].header
        element.header = element.header or text
        self.spec.elements.append(element)
        return element

    def _recent_text(self) -> str:
        text = " ".join(" ".join(self._texts).split())
        self._texts = []
        return text[-200:]

    def handle_data(self, data: str) -> None:
        if data.strip():
            self._texts.append(data.strip())
            if (
                self._option_value is not None
                and self._select is not None
                and not self._option_value
            ):
                self._select.options.append(data.strip())

    def handle_starttag(self, tag: str, attrs) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        name = a.get("name", "").strip()
        if tag == "crowd-form":
            self.spec.crowd_form = True
        elif tag in _MEDIA_TAGS and a.get("src"):
            media_tag = tag if tag != "source" else "video"
            self.spec.media.append(Media(media_tag, a["src"], a.get("alt", "")))
        elif tag == "crowd-radio-group":
            self._groups.append(TaskElement("", tag, LABEL, header=a.get("header", "")))
        elif tag == "crowd-radio-button" and name:
            element = self._add(TaskElement(name, "crowd-radio-group", LABEL))
            value = a.get("value") or name
            if value not in element.options:
                element.options.append(value)
        elif tag == "crowd-checkbox" and name:
            element = self._add(TaskElement(name, tag, FLAG))
            value = a.get("value") or "on"
            if value not in element.options:
                element.options.append(value)
            if len(element.options) > 1:
                element.kind = LABELS
        elif tag in _CROWD and name:
            kind, options = _CROWD[tag]
            self._add(
                TaskElement(
                    name,
                    tag,
                    kind,
                    options=options_parse(a.get(options, "")) if options else [],
                    # A crowd-input says its question in its `label`.
                    header=a.get("header", "") or a.get("label", ""),
                    src=a.get("src", ""),
                    text=a.get("text", ""),
                )
            )
        elif tag == "input" and name and name not in RESERVED_NAMES:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "hidden", "reset", "image", "file"):
                return
            if kind == "radio":
                element = self._add(TaskElement(name, "input", LABEL, crowd=False))
                element.options.append(a.get("value", "on"))
            elif kind == "checkbox":
                element = self._add(TaskElement(name, "input", FLAG, crowd=False))
                element.options.append(a.get("value", "on"))
                if len(element.options) > 1:
                    element.kind = LABELS
            else:
                self._add(
                    TaskElement(
                        name, "input", NUMBER if kind in ("number", "range") else TEXT, crowd=False
                    )
                )
        elif tag == "textarea" and name:
            self._add(TaskElement(name, "textarea", TEXT, crowd=False))
        elif tag == "select" and name:
            self._select = self._add(
                TaskElement(name, "select", LABELS if "multiple" in a else LABEL, crowd=False)
            )
        elif tag == "option" and self._select is not None:
            self._option_value = a.get("value", "")
            if self._option_value:
                self._select.options.append(self._option_value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "option":
            self._option_value = None
        elif tag == "crowd-radio-group" and self._groups:
            self._groups.pop()


def task_spec(template: str, values: dict[str, str], *, kind: str = QuestionKind.HTML) -> TaskSpec:
    """The task of one row: its template filled with the row's values, read."""
    if kind != QuestionKind.HTML:
        return TaskSpec()
    reader = _Reader()
    try:
        reader.feed(templating.fill(template, values, kind=kind))
        reader.close()
    except (AssertionError, ValueError):  # markup HTMLParser gives up on: what it read stays
        pass
    return reader.spec


# --- answers -------------------------------------------------------------------------------


def _true(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "on", "1", "yes")


def _raw(element: TaskElement, answers: dict, task_answers: Any) -> Any:
    if element.crowd and isinstance(task_answers, dict) and element.name in task_answers:
        return task_answers[element.name]
    if element.crowd and isinstance(task_answers, list) and task_answers:
        first = task_answers[0]
        if isinstance(first, dict) and element.name in first:
            return first[element.name]
    if element.name in answers:
        return answers[element.name]
    # A crowd answer flattened without its object (`name.label`, `name.agree`).
    prefix = element.name + "."
    nested = {k[len(prefix) :]: v for k, v in answers.items() if k.startswith(prefix)}
    return nested or None


def _points(items: Any, keys: tuple[str, ...]) -> list[dict]:
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            shape = {key: float(item[key]) for key in keys}
        except (KeyError, TypeError, ValueError):
            continue
        shape["label"] = str(item.get("label", ""))
        out.append(shape)
    return out


def _vertices(items: Any) -> list[dict]:
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        vertices = _points(item.get("vertices"), ("x", "y"))
        if vertices:
            out.append({"label": str(item.get("label", "")), "vertices": vertices})
    return out


def answer_value(element: TaskElement, answers: dict, task_answers: Any) -> Any:
    """One element's answer in its kind's shape, or None when the worker gave none (or one of
    another shape):

    label -> str; labels -> list[str]; text -> str; number -> float; flag -> bool;
    boxes -> [{label, left, top, width, height}]; keypoints -> [{label, x, y}];
    lines/polylines/polygons -> [{label, vertices: [{x, y}]}];
    semantic -> {"png": base64, "labels": {label: "#rrggbb"}};
    instances -> {"png": base64, "instances": [{label, color}]};
    entities -> [{label, start, end}].
    """
    raw = _raw(element, answers, task_answers)
    if raw is None:
        return None
    kind = element.kind
    if kind == LABEL:
        if isinstance(raw, dict):
            if "label" in raw:
                raw = raw["label"]
            else:
                chosen = [key for key, value in raw.items() if _true(value)]
                raw = chosen[0] if len(chosen) == 1 else None
        if isinstance(raw, list):
            raw = raw[0] if len(raw) == 1 else None
        return str(raw).strip() or None if raw is not None else None
    if kind == LABELS:
        if isinstance(raw, dict):
            raw = raw["labels"] if "labels" in raw else [k for k, v in raw.items() if _true(v)]
        if isinstance(raw, str):
            raw = [raw] if raw else []
        return [str(v) for v in raw] if isinstance(raw, list) else None
    if kind == FLAG:
        if isinstance(raw, dict):
            values = list(raw.values())
            return _true(values[0]) if len(values) == 1 else None
        return _true(raw)
    if kind == TEXT:
        return (
            raw if isinstance(raw, str) else (None if isinstance(raw, (dict, list)) else str(raw))
        )
    if kind == NUMBER:
        try:
            return float(raw)
        except (TypeError, ValueError):
            return None
    if not isinstance(raw, dict):
        return None
    if kind == BOXES:
        return _points(raw.get("boundingBoxes"), ("left", "top", "width", "height"))
    if kind == KEYPOINTS:
        return _points(raw.get("keypoints"), ("x", "y"))
    if kind in (LINES, POLYLINES, POLYGONS):
        return _vertices(raw.get(_SHAPE_KEY[kind]))
    if kind in MASKS:
        image = raw.get("labeledImage")
        png = image.get("pngImageData") if isinstance(image, dict) else None
        if not isinstance(png, str):
            return None
        if kind == SEMANTIC:
            mappings = (
                raw.get("labelMappings") if isinstance(raw.get("labelMappings"), dict) else {}
            )
            labels = {
                str(label): str(m.get("color", ""))
                for label, m in mappings.items()
                if isinstance(m, dict)
            }
            return {"png": png, "labels": labels}
        instances = [
            {"label": str(i.get("label", "")), "color": str(i.get("color", ""))}
            for i in raw.get("instances") or []
            if isinstance(i, dict)
        ]
        return {"png": png, "instances": instances}
    if kind == ENTITIES:
        out = []
        for item in raw.get("entities") if isinstance(raw.get("entities"), list) else []:
            if not isinstance(item, dict):
                continue
            try:
                start, end = int(item["startOffset"]), int(item["endOffset"])
            except (KeyError, TypeError, ValueError):
                continue
            if 0 <= start < end:
                out.append({"label": str(item.get("label", "")), "start": start, "end": end})
        return sorted(out, key=lambda e: (e["start"], e["end"]))
    return None


def image_size(task_answers: Any, element: TaskElement) -> tuple[int, int] | None:
    """(width, height) of the image an answer was drawn on, as the element reported it."""
    raw = _raw(element, {}, task_answers)
    props = raw.get("inputImageProperties") if isinstance(raw, dict) else None
    try:
        width, height = int(props["width"]), int(props["height"])
    except (KeyError, TypeError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None
