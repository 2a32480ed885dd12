"""Parse QuestionFormAnswers XML, the form every MTurk answer arrives in.

Worker answers are untrusted: the XML is parsed with defusedxml (no DTDs, no entities, no external
references), and anything that does not parse gives a `ParsedAnswers` with `error` set instead of
an exception, so that one hostile answer never stops a sync.

`answers` maps each QuestionIdentifier to its value, or to a list when the identifier repeats or
holds several selections. Answers from Crowd HTML Elements arrive as one FreeText named
`taskAnswers` holding JSON; its fields are flattened (`{"category": {"label": "Cat"}}` gives
`category.label`, a bounding box `box.boundingBoxes.0.left`, ...), and the decoded object is kept
whole in `task_answers` (numbers stay numbers, empty objects and lists stay), for exports that must
carry it without loss. `task_answers_text` gives the JSON exactly as the worker's form sent it.

Limits hold on everything a worker sends: at most `MAX_ANSWER_BYTES` of XML, JSON nested at most
`MAX_JSON_DEPTH` levels and at most `MAX_FIELDS` fields. An answer past them is kept raw with
`error` saying why; no answer, however built, raises out of `parse_answers`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

MAX_ANSWER_BYTES = 2_000_000
MAX_JSON_DEPTH = 32
MAX_FIELDS = 10_000
CROWD_FIELD = "taskAnswers"


class AnswerTooComplex(ValueError):
    """The worker's answer is nested deeper, or holds more fields, than we read."""


@dataclass
class ParsedAnswers:
    answers: dict[str, Any] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str = ""
    # The crowd-form's answer object, decoded but not flattened (None: no taskAnswers).
    task_answers: Any = None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _add(answers: dict[str, Any], key: str, value: Any) -> None:
    if key not in answers:
        answers[key] = value
        return
    current = answers[key]
    if not isinstance(current, list):
        current = [current]
    current.extend(value if isinstance(value, list) else [value])
    answers[key] = current


def _flatten(prefix: str, value: Any, out: dict[str, Any], depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        raise AnswerTooComplex(f"answer nested deeper than {MAX_JSON_DEPTH} levels")
    if len(out) > MAX_FIELDS:
        raise AnswerTooComplex(f"answer with more than {MAX_FIELDS:,} fields")
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out, depth + 1)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, inner in enumerate(value):
            _flatten(f"{prefix}.{index}", inner, out, depth + 1)
    elif isinstance(value, bool):
        _add(out, prefix, "true" if value else "false")
    elif value is None:
        _add(out, prefix, "")
    elif isinstance(value, list):
        _add(out, prefix, [str(v) for v in value])
    else:
        _add(out, prefix, str(value))


def _json_depth_within(text: str, limit: int) -> bool:
    """Whether the brackets of a JSON text nest at most `limit` deep (strings skipped). Read
    before decoding, because the decoder recurses once per level."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return False
        elif char in "]}":
            depth -= 1
    return True


def _crowd_object(text: str) -> dict[str, Any] | None:
    """The one object of a taskAnswers JSON text (`[{...}]`, or a bare `{...}`), or None."""
    brackets = text.count("[") + text.count("{")
    if brackets > MAX_JSON_DEPTH and not _json_depth_within(text, MAX_JSON_DEPTH):
        raise AnswerTooComplex(f"answer nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    return data if isinstance(data, dict) else None


def _root(xml: str):
    return fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)


def task_answers_text(xml: str | None) -> str:
    """The taskAnswers FreeText of an answer, exactly as sent ("" when there is none or the
    answer does not parse): MTurk's results file shows it as `Answer.taskAnswers`."""
    if not xml or len(xml.encode("utf-8", "replace")) > MAX_ANSWER_BYTES:
        return ""
    try:
        root = _root(xml)
    except (DefusedXmlException, ParseError, ValueError, RecursionError):
        return ""
    for answer in root:
        children = {_local(child.tag): child for child in answer}
        identifier = children.get("QuestionIdentifier")
        if identifier is not None and (identifier.text or "").strip() == CROWD_FIELD:
            text = children.get("FreeText")
            return (text.text or "") if text is not None else ""
    return ""


def parse_answers(xml: str | None) -> ParsedAnswers:
    """The answers of one assignment; never raises (see the module's docstring)."""
    try:
        return _parse(xml)
    except AnswerTooComplex as exc:
        return ParsedAnswers(error=f"{exc}, kept raw")
    except (RecursionError, MemoryError, ValueError, TypeError, AttributeError) as exc:
        return ParsedAnswers(error=f"answer could not be read ({type(exc).__name__}), kept raw")


def _parse(xml: str | None) -> ParsedAnswers:
    parsed = ParsedAnswers()
    if not xml:
        return parsed
    if len(xml.encode("utf-8", "replace")) > MAX_ANSWER_BYTES:
        parsed.error = f"answer larger than {MAX_ANSWER_BYTES} bytes, kept raw"
        return parsed
    try:
        root = _root(xml)
    except DefusedXmlException as exc:
        parsed.error = f"refused hostile XML: {type(exc).__name__}"
        return parsed
    except (ParseError, ValueError) as exc:
        parsed.error = f"malformed XML: {exc}"
        return parsed
    if _local(root.tag) != "QuestionFormAnswers":
        parsed.error = f"unexpected root element {_local(root.tag)!r}"
        return parsed

    for answer in root:
        if _local(answer.tag) != "Answer":
            continue
        children = {_local(child.tag): child for child in answer}
        identifier = (
            (children.get("QuestionIdentifier").text or "").strip()
            if "QuestionIdentifier" in children
            else ""
        )
        if not identifier:
            continue
        selections = [
            (child.text or "").strip()
            for child in answer
            if _local(child.tag) == "SelectionIdentifier"
        ]
        if "FreeText" in children:
            text = children["FreeText"].text or ""
            try:
                crowd = _crowd_object(text) if identifier == CROWD_FIELD else None
                flat: dict[str, Any] = {}
                if crowd is not None:
                    _flatten("", crowd, flat)
            except AnswerTooComplex as exc:
                # The other answers still count; this one is read from the raw XML.
                parsed.error = f"{identifier}: {exc}, kept raw"
                continue
            if crowd is not None:
                parsed.task_answers = crowd
                for key, value in flat.items():
                    _add(parsed.answers, key, value)
            else:
                _add(parsed.answers, identifier, text)
        elif selections or "OtherSelectionText" in children:
            values = list(selections)
            if "OtherSelectionText" in children:
                values.append(children["OtherSelectionText"].text or "")
            _add(parsed.answers, identifier, values if len(values) > 1 else values[0])
        elif "UploadedFileKey" in children:
            key = (children["UploadedFileKey"].text or "").strip()
            size_text = children.get("UploadedFileSizeInBytes")
            try:
                size = int(size_text.text) if size_text is not None else None
            except (TypeError, ValueError):
                size = None
            parsed.files[identifier] = {"key": key, "size": size}
            _add(parsed.answers, identifier, key)
        else:
            _add(parsed.answers, identifier, "")
    return parsed
