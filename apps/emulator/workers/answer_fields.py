"""What a HIT's question asks for: its answer fields, read from the question itself.

Used by the simulated crowd (to answer) and by the worker site (to render QuestionForms). Three
shapes, as on MTurk:

- HTMLQuestion (also HITs made from a HIT layout, which are stored rendered): the HTML form's
  fields (`input` text/number/email/hidden/radio/checkbox, `textarea`, `select` with its
  options) and Crowd HTML Elements (`crowd-input`, `crowd-text-area`, `crowd-checkbox`,
  `crowd-radio-group` with `crowd-radio-button`s, `crowd-classifier` with its `categories`, and
  the elements whose answer is an object, kept with their attributes for `elements`: the
  multi-select and image classifiers, slider, toggle button, shape tools, segmentation and
  entity annotation). A template using `<crowd-form>` answers with one `taskAnswers` field
  (JSON), like the real one.
- QuestionForm: each Question's identifier, FreeTextAnswer (with Constraints: IsNumeric bounds,
  Length) or SelectionAnswer (its SelectionIdentifiers, min/max selection count, "other").
- ExternalQuestion: nothing to read; fields are given by whoever answers.

Answers are then serialised to QuestionFormAnswers by `answers_document` below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from xml.sax.saxutils import escape

from defusedxml import ElementTree as SafeET

from ..engine.answers import ANSWERS_NS
from .elements import ELEMENTS

# Names an HTML template carries that MTurk consumes itself rather than storing as answers.
RESERVED_NAMES = {"assignmentId", "hitId", "workerId", "turkSubmitTo"}
# Where a worker types text (a completion code among others).
TEXT_TAGS = {"input", "textarea", "crowd-input", "crowd-text-area"}


@dataclass
class AnswerField:
    """One thing to answer. `options` is empty for free text."""

    name: str
    # text | number | textarea | radio | checkbox | select | hidden | selection | file | element
    kind: str
    options: list[str] = field(default_factory=list)
    multiple: bool = False
    value: str = ""  # hidden inputs: the value they submit
    crowd: str = ""  # the Crowd HTML Element, when it is one
    minimum: float | None = None  # IsNumeric bounds
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_selections: int = 1
    max_selections: int = 1
    other: bool = False  # SelectionAnswer with OtherSelection
    # An element's attributes, as written; a crowd-radio-group's: each button's value by name.
    attributes: dict[str, str] = field(default_factory=dict)
    # A crowd-radio-group's buttons, (name, value) in order; `options` has one entry per button:
    # its name, or its value where buttons share a name (they then answer as one object).
    buttons: list[tuple[str, str]] = field(default_factory=list)
    required: bool = False
    # A study's completion code box (`data-completion-code`), where a survey's code goes.
    completion_code: bool = False

    @property
    def is_choice(self) -> bool:
        return bool(self.options)


@dataclass(frozen=True)
class Link:
    """An `<a href>` of an HTML question that may lead to a survey: marked `data-survey-link`, or
    with `/survey/` in its address (`workers.survey_links` decides which are followed)."""

    href: str
    marked: bool
    worker_param: str = ""
    assignment_param: str = ""


@dataclass
class QuestionShape:
    kind: str  # HTMLQuestion | ExternalQuestion | QuestionForm
    fields: list[AnswerField] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    crowd_form: bool = False
    html: str = ""
    external_url: str = ""
    frame_height: int = 0


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element, name: str):
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _child_text(element, name: str) -> str | None:
    found = _child(element, name)
    return None if found is None else (found.text or "").strip()


class _FormReader(HTMLParser):
    """Collects form fields and crowd elements from an HTML document, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, AnswerField] = {}
        self.links: list[Link] = []
        self.crowd_form = False
        self._select: AnswerField | None = None
        self._option_value: str | None = None
        self._option_text = ""
        self._radio_group: str | None = None
        self._radio_group_name: str = ""

    def _field(self, name: str, kind: str, **extra) -> AnswerField:
        existing = self.fields.get(name)
        if existing is None:
            existing = self.fields[name] = AnswerField(name=name, kind=kind, **extra)
        return existing

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        name = attributes.get("name", "")
        self._tag(tag, attributes, name)
        item = self.fields.get(name) if name else None
        if item is not None and tag in TEXT_TAGS and item.kind in {"text", "textarea"}:
            item.required = item.required or "required" in attributes
            item.completion_code = item.completion_code or "data-completion-code" in attributes

    def _tag(self, tag: str, attributes: dict[str, str], name: str) -> None:
        if tag == "a" and attributes.get("href"):
            marked = "data-survey-link" in attributes
            if marked or "/survey/" in attributes["href"]:
                self.links.append(
                    Link(
                        href=attributes["href"],
                        marked=marked,
                        worker_param=attributes.get("data-worker-param", "").strip(),
                        assignment_param=attributes.get("data-assignment-param", "").strip(),
                    )
                )
        if tag == "crowd-entity-annotation":
            # Self-contained: it brings its own crowd-form (and is read below as an element).
            self.crowd_form = True
        if tag == "crowd-form":
            self.crowd_form = True
        elif tag == "input" and name and name not in RESERVED_NAMES:
            kind = attributes.get("type", "text").lower()
            if kind in {"submit", "button", "reset", "image", "file"}:
                return
            if kind in {"radio", "checkbox"}:
                item = self._field(name, kind, multiple=kind == "checkbox")
                item.options.append(attributes.get("value", "on"))
            elif kind == "hidden":
                self._field(name, "hidden", value=attributes.get("value", ""))
            else:
                item = self._field(name, "number" if kind == "number" else "text")
                if kind == "number":
                    item.minimum = _number(attributes.get("min"))
                    item.maximum = _number(attributes.get("max"))
        elif tag == "textarea" and name:
            self._field(name, "textarea")
        elif tag == "select" and name:
            self._select = self._field(name, "select", multiple="multiple" in attributes)
        elif tag == "option" and self._select is not None:
            self._option_value = attributes.get("value")
            self._option_text = ""
        elif tag in {"crowd-input", "crowd-text-area"} and name:
            self._field(name, "textarea" if tag == "crowd-text-area" else "text", crowd=tag)
        elif tag == "crowd-checkbox" and name:
            # Boxes sharing a name are one question with a key per value.
            item = self._field(name, "checkbox", crowd=tag, multiple=True)
            item.options.append(attributes.get("value") or "on")
        elif tag == "crowd-radio-group":
            # The real element reports each button by its own name; the group is one question
            # for the crowd, named by the group's name or its position.
            self._radio_group = name or f"radio-group-{len(self.fields)}"
            self._radio_group_name = ""
        elif tag == "crowd-radio-button" and name and self._radio_group:
            item = self._field(self._radio_group, "radio", crowd="crowd-radio-group")
            value = attributes.get("value") or "on"
            item.buttons.append((name, value))
            names = [button for button, _ in item.buttons]
            item.options = [
                value if names.count(button) > 1 else button for button, value in item.buttons
            ]
            item.attributes[name] = value
        elif tag in ELEMENTS and name:
            self._field(name, "element", crowd=tag, attributes=attributes)
        elif tag == "crowd-classifier" and name:
            try:
                categories = json.loads(attributes.get("categories", "[]").replace("'", '"'))
            except ValueError:
                categories = []
            self._field(
                name, "radio", options=[str(c) for c in categories], crowd="crowd-classifier"
            )

    def handle_data(self, data: str) -> None:
        if self._option_value is not None or self._select is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select is not None:
            value = self._option_value
            if value is None:
                value = self._option_text.strip()
            if value:
                self._select.options.append(value)
            self._option_value = None
            self._option_text = ""
        elif tag == "select":
            self._select = None
        elif tag == "crowd-radio-group":
            self._radio_group = None


def _number(raw: str | None) -> float | None:
    try:
        return float(raw) if raw not in (None, "") else None
    except ValueError:
        return None


def _read(html: str) -> _FormReader:
    reader = _FormReader()
    reader.feed(html)
    reader.close()
    return reader


def html_fields(html: str) -> tuple[list[AnswerField], bool]:
    """(fields, uses crowd-form) of an HTML template."""
    reader = _read(html)
    return list(reader.fields.values()), reader.crowd_form


def _free_text_field(identifier: str, spec) -> AnswerField:
    item = AnswerField(name=identifier, kind="text")
    constraints = _child(spec, "Constraints")
    if constraints is not None:
        numeric = _child(constraints, "IsNumeric")
        if numeric is not None:
            item.kind = "number"
            item.minimum = _number(numeric.get("minValue"))
            item.maximum = _number(numeric.get("maxValue"))
        length = _child(constraints, "Length")
        if length is not None:
            item.min_length = int(length.get("minLength") or 0) or None
            item.max_length = int(length.get("maxLength") or 0) or None
    return item


def question_form_fields(root) -> list[AnswerField]:
    fields: list[AnswerField] = []
    for question in root:
        if _local(question.tag) != "Question":
            continue
        identifier = _child_text(question, "QuestionIdentifier") or ""
        spec_holder = _child(question, "AnswerSpecification")
        spec = next(iter(spec_holder), None) if spec_holder is not None else None
        if spec is None:
            continue
        kind = _local(spec.tag)
        if kind == "FreeTextAnswer":
            fields.append(_free_text_field(identifier, spec))
        elif kind == "SelectionAnswer":
            selections = _child(spec, "Selections")
            options = [
                _child_text(selection, "SelectionIdentifier") or ""
                for selection in (selections if selections is not None else [])
                if _local(selection.tag) == "Selection"
            ]
            low = int(_child_text(spec, "MinSelectionCount") or 1)
            high = int(_child_text(spec, "MaxSelectionCount") or 1)
            fields.append(
                AnswerField(
                    name=identifier,
                    kind="selection",
                    options=options,
                    multiple=high > 1,
                    min_selections=low,
                    max_selections=max(low, high),
                    other=selections is not None
                    and _child(selections, "OtherSelection") is not None,
                )
            )
        elif kind == "FileUploadAnswer":
            fields.append(
                AnswerField(
                    name=identifier,
                    kind="file",
                    minimum=_number(_child_text(spec, "MinFileSizeInBytes")),
                    maximum=_number(_child_text(spec, "MaxFileSizeInBytes")),
                )
            )
    return fields


def question_shape(question_xml: str) -> QuestionShape:
    """Read a stored (already validated) HIT Question."""
    root = SafeET.fromstring(question_xml.encode("utf-8"))
    kind = _local(root.tag)
    height = _child_text(root, "FrameHeight") or "0"
    shape = QuestionShape(kind=kind, frame_height=int(height) if height.isdigit() else 0)
    if kind == "HTMLQuestion":
        shape.html = _child_text(root, "HTMLContent") or ""
        reader = _read(shape.html)
        shape.fields, shape.crowd_form = list(reader.fields.values()), reader.crowd_form
        shape.links = reader.links
    elif kind == "ExternalQuestion":
        shape.external_url = _child_text(root, "ExternalURL") or ""
    else:
        shape.fields = question_form_fields(root)
    return shape


# ---------------------------------------------------------------------------------------------
# Answers -> QuestionFormAnswers


def _document(parts: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<QuestionFormAnswers xmlns="{ANSWERS_NS}">{"".join(parts)}</QuestionFormAnswers>'
    )


def free_text_answers_xml(pairs: list[tuple[str, str]]) -> str:
    """One FreeText Answer per (name, value) pair: an HTML form's submission, where a repeated
    name (checkboxes, multiple selects) keeps every value."""
    return _document(
        [
            f"<Answer><QuestionIdentifier>{escape(name)}</QuestionIdentifier>"
            f"<FreeText>{escape(value)}</FreeText></Answer>"
            for name, value in pairs
        ]
    )


def question_form_answers_xml(
    fields: list[AnswerField],
    values: dict[str, list[str]],
    *,
    other: dict[str, str] | None = None,
    uploads: dict[str, tuple[str, int]] | None = None,
) -> str:
    """QuestionFormAnswers for a QuestionForm: SelectionIdentifier(s) (+ OtherSelectionText) for
    selections, FreeText for free text, UploadedFileSizeInBytes + UploadedFileKey for uploads."""
    parts: list[str] = []
    for item in fields:
        inner = ""
        if item.kind == "selection":
            inner = "".join(
                f"<SelectionIdentifier>{escape(v)}</SelectionIdentifier>"
                for v in values.get(item.name, [])
            )
            if other and other.get(item.name):
                inner += f"<OtherSelectionText>{escape(other[item.name])}</OtherSelectionText>"
        elif item.kind == "file":
            if uploads and item.name in uploads:
                key, size = uploads[item.name]
                inner = (
                    f"<UploadedFileSizeInBytes>{size}</UploadedFileSizeInBytes>"
                    f"<UploadedFileKey>{escape(key)}</UploadedFileKey>"
                )
        else:
            inner = f"<FreeText>{escape((values.get(item.name) or [''])[0])}</FreeText>"
        if inner:
            parts.append(
                f"<Answer><QuestionIdentifier>{escape(item.name)}</QuestionIdentifier>"
                f"{inner}</Answer>"
            )
    return _document(parts)


def crowd_task_answers(fields: list[AnswerField], values: dict[str, list[str]]) -> str:
    """The `taskAnswers` JSON a crowd-form submits: `[{name: value, ...}]`, with crowd-checkbox
    and radio buttons as `{"<value>": bool}` (boxes sharing a name in one object), the classifier as `{"label": ...}`, and the elements of
    `elements` as the JSON object of their answer."""
    answer: dict = {}
    for item in fields:
        chosen = values.get(item.name, [])
        if item.kind == "element":
            if chosen:
                answer[item.name] = json.loads(chosen[0])
        elif item.crowd == "crowd-checkbox":
            if len(item.options) == 1 and "true" in chosen:  # a lone box's truth may say "true"
                chosen = item.options
            answer[item.name] = {option: option in chosen for option in item.options}
        elif item.crowd == "crowd-radio-group":
            # Each button answers under its own name; buttons sharing a name merge into one
            # object, a key per value, as the crowd script submits them.
            for (name, value), option in zip(item.buttons, item.options, strict=True):
                answer.setdefault(name, {})[value] = option in chosen
        elif item.crowd == "crowd-classifier":
            answer[item.name] = {"label": chosen[0] if chosen else ""}
        elif item.kind == "hidden":
            answer[item.name] = item.value
        elif item.kind == "checkbox":
            if chosen:  # a native box, as the crowd script reads it: its value when ticked
                answer[item.name] = chosen[-1]
        else:
            answer[item.name] = chosen[0] if chosen else ""
    return json.dumps([answer], separators=(",", ":"))


def answers_document(shape: QuestionShape, values: dict[str, list[str]]) -> str:
    """QuestionFormAnswers for `values` (field name -> chosen values) as MTurk stores them."""
    if shape.kind == "QuestionForm":
        return question_form_answers_xml(shape.fields, values)
    if shape.crowd_form:
        return free_text_answers_xml([("taskAnswers", crowd_task_answers(shape.fields, values))])
    pairs: list[tuple[str, str]] = []
    for item in shape.fields:
        if item.kind == "hidden":
            pairs.append((item.name, item.value))
            continue
        for value in values.get(item.name, []):
            pairs.append((item.name, value))
    for name, chosen in values.items():
        if not any(item.name == name for item in shape.fields):
            pairs.extend((name, value) for value in chosen)
    return free_text_answers_xml(pairs)
