"""Question templates: `${column}` placeholders filled from a CSV row, wrapped in MTurk's
question XML.

Values are untrusted. They are inserted HTML-escaped in an HTML template, XML-escaped in a
QuestionForm and percent-encoded in an ExternalQuestion URL. `${column|raw}` opts out for one
placeholder (the editor warns about it).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape as xml_escape

from defusedxml import ElementTree as SafeET

from apps.batches.lint import lint_html
from apps.batches.models import QuestionKind

MAX_QUESTION_BYTES = 65535
SCHEMA_BASE = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/"
HTML_QUESTION_NS = SCHEMA_BASE + "2011-11-11/HTMLQuestion.xsd"
EXTERNAL_QUESTION_NS = SCHEMA_BASE + "2006-07-14/ExternalQuestion.xsd"
QUESTION_FORM_NS = re.compile(re.escape(SCHEMA_BASE) + r"\d{4}-\d{2}-\d{2}/QuestionForm\.xsd")

PLACEHOLDER = re.compile(r"\$\{\s*([^{}|]+?)\s*(?:\|\s*(raw)\s*)?\}")
_FORM_INPUT = re.compile(r"<\s*(input|textarea|select|crowd-form)\b", re.IGNORECASE)
_CROWD_FORM = re.compile(r"<\s*crowd-form\b", re.IGNORECASE)
_CROWD_SCRIPT = "assets.crowd.aws/crowd-html-elements.js"
_EMPTY_PLACEHOLDER = re.compile(r"\$\{\s*(?:\|\s*raw\s*)?\}")
# What the editor quotes of a `${` that starts no placeholder: up to a space, a tag or a quote.
_PLACEHOLDER_START = re.compile(r"\$\{[^\s<>\"'$]{0,28}")


@dataclass(frozen=True)
class Placeholder:
    name: str
    raw: bool


def placeholders(template: str) -> list[Placeholder]:
    """Every placeholder in order of appearance (repeats included)."""
    return [Placeholder(m.group(1), bool(m.group(2))) for m in PLACEHOLDER.finditer(template)]


def variables(template: str) -> list[str]:
    """The distinct variable names, in order of first appearance."""
    return list(dict.fromkeys(p.name for p in placeholders(template)))


def loads_crowd_script(template: str) -> bool:
    """Whether the template loads MTurk's crowd-html-elements.js (its preview may run it)."""
    return _CROWD_SCRIPT in template


def uses_crowd_form(template: str) -> bool:
    return bool(_CROWD_FORM.search(template))


def _line_of(template: str, at: int) -> int:
    return template.count("\n", 0, at) + 1


def malformed_placeholders(template: str) -> list[str]:
    """A warning for each `${` that starts no placeholder (`${text` unclosed, `${}` empty):
    it reaches workers as typed, which is rarely what was meant. With the line number."""
    problems = []
    at = template.find("${")
    while at >= 0:
        if not PLACEHOLDER.match(template, at):
            line = _line_of(template, at)
            empty = _EMPTY_PLACEHOLDER.match(template, at)
            if empty:
                problems.append(
                    f"Line {line}: {empty.group(0)} names no column: it reaches workers as typed. "
                    "Write the column's name, like ${text}."
                )
            else:
                shown = _PLACEHOLDER_START.match(template, at).group(0)
                problems.append(
                    f"Line {line}: {shown} is not a placeholder (no closing brace, or a character "
                    "a column name cannot hold): it reaches workers as typed. Write ${column}, or "
                    "${column|raw}."
                )
        at = template.find("${", at + 2)
    return problems


def raw_variables(template: str) -> list[str]:
    return list(dict.fromkeys(p.name for p in placeholders(template) if p.raw))


def _escape_for(kind: str, value: str) -> str:
    if kind == QuestionKind.HTML:
        return html.escape(value, quote=True)
    if kind == QuestionKind.EXTERNAL:
        return quote(value, safe="")
    return xml_escape(value, {'"': "&quot;", "'": "&apos;"})


def fill(template: str, values: dict[str, str], *, kind: str) -> str:
    """The template with every placeholder replaced by its row value, escaped for `kind`."""

    def replace(match: re.Match) -> str:
        value = str(values.get(match.group(1), ""))
        return value if match.group(2) else _escape_for(kind, value)

    return PLACEHOLDER.sub(replace, template)


def _cdata(text: str) -> str:
    # "]]>" would end the section early: split it across two sections.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def wrap(filled: str, *, kind: str, frame_height: int) -> str:
    """The Question parameter for a filled template."""
    if kind == QuestionKind.HTML:
        return (
            f'<HTMLQuestion xmlns="{HTML_QUESTION_NS}"><HTMLContent>{_cdata(filled)}'
            f"</HTMLContent><FrameHeight>{int(frame_height)}</FrameHeight></HTMLQuestion>"
        )
    if kind == QuestionKind.EXTERNAL:
        return (
            f'<ExternalQuestion xmlns="{EXTERNAL_QUESTION_NS}"><ExternalURL>'
            f"{xml_escape(filled.strip())}</ExternalURL><FrameHeight>{int(frame_height)}"
            "</FrameHeight></ExternalQuestion>"
        )
    return filled


def question(template: str, values: dict[str, str], *, kind: str, frame_height: int) -> str:
    return wrap(fill(template, values, kind=kind), kind=kind, frame_height=frame_height)


class SizeCalculator:
    """The byte size of a row's question without building it (100,000 rows stay fast)."""

    def __init__(self, template: str, *, kind: str, frame_height: int) -> None:
        self.template, self.kind, self.frame_height = template, kind, frame_height
        self.counts = Counter(placeholders(template))
        self.base = len(
            wrap(PLACEHOLDER.sub("", template), kind=kind, frame_height=frame_height).encode()
        )
        # An external URL is stripped and XML-escaped as a whole: build it (it is short).
        self.exact = kind == QuestionKind.EXTERNAL

    def _built(self, values: dict[str, str]) -> int:
        return len(
            question(self.template, values, kind=self.kind, frame_height=self.frame_height).encode()
        )

    def size(self, values: dict[str, str]) -> int:
        if self.exact:
            return self._built(values)
        total = self.base
        for placeholder, count in self.counts.items():
            value = str(values.get(placeholder.name, ""))
            if not placeholder.raw:
                value = _escape_for(self.kind, value)
            elif "]]>" in value and self.kind == QuestionKind.HTML:
                return self._built(values)
            total += count * len(value.encode())
        return total


@dataclass
class TemplateCheck:
    variables: list[str] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    empty_size: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def check(template: str, *, kind: str, frame_height: int) -> TemplateCheck:
    """What the project editor shows: the variables, and what is wrong with the template."""
    result = TemplateCheck(variables=variables(template), raw=raw_variables(template))
    sample = {name: "x" for name in result.variables}
    filled = fill(template, sample, kind=kind)
    result.empty_size = len(question(template, {}, kind=kind, frame_height=frame_height).encode())
    if result.empty_size > MAX_QUESTION_BYTES:
        result.errors.append(
            f"The question is {result.empty_size:,} bytes before any value is filled in; MTurk "
            f"accepts at most {MAX_QUESTION_BYTES:,}."
        )
    result.warnings.extend(malformed_placeholders(template))
    if result.raw:
        result.warnings.append(
            "Inserted without escaping: "
            + ", ".join(result.raw)
            + ". A cell holding markup will run as markup in the HIT."
        )
    if kind == QuestionKind.HTML:
        for finding in lint_html(template):
            (result.errors if finding.error else result.warnings).append(str(finding))
        if not _FORM_INPUT.search(template):
            result.errors.append(
                "The HTML has no form input (input, textarea, select) and no crowd-form: workers "
                "could not submit an answer."
            )
        if _CROWD_FORM.search(template) and _CROWD_SCRIPT not in template:
            result.warnings.append(
                "crowd-form is used but the crowd-html-elements.js script is not loaded."
            )
    elif kind == QuestionKind.EXTERNAL:
        url = filled.strip()
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.netloc:
            result.errors.append("The external URL must be an https:// URL.")
        query_at = template.find("?")
        if any(query_at < 0 or m.start() < query_at for m in PLACEHOLDER.finditer(template)):
            result.warnings.append("Placeholders are meant for the query part of the URL.")
    else:
        try:
            root = SafeET.fromstring(filled.encode())
        except Exception as exc:
            result.errors.append(f"The QuestionForm is not well-formed XML: {exc}")
        else:
            namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
            if not root.tag.endswith("QuestionForm") or not QUESTION_FORM_NS.fullmatch(namespace):
                result.errors.append(
                    "The root element must be QuestionForm in MTurk's QuestionForm schema "
                    "namespace."
                )
    return result
