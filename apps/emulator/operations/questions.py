"""The checks of a Question (CreateHIT), a qualification Test and its AnswerKey
(CreateQualificationType): well-formed XML of a known MTurk schema (HTMLQuestion,
ExternalQuestion, QuestionForm, AnswerKey), with what each schema requires; and HIT layouts
rendered into an HTMLQuestion. Parsing always goes through defusedxml: the XML is untrusted.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from ..wire import errors

MAX_QUESTION_BYTES = 65535
SCHEMA_NS = re.compile(
    r"^http://mechanicalturk\.amazonaws\.com/AWSMechanicalTurkDataSchemas/"
    r"\d{4}-\d{2}-\d{2}/(?P<root>[A-Za-z]+)\.xsd$"
)
QUESTION_ROOTS = {"HTMLQuestion", "ExternalQuestion", "QuestionForm"}
ANSWER_KINDS = {"FreeTextAnswer", "SelectionAnswer", "FileUploadAnswer"}
HTML_QUESTION_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd"
)


@dataclass
class QuestionInfo:
    kind: str
    identifiers: list[str] = field(default_factory=list)
    file_upload_identifiers: list[str] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: Element, name: str) -> str | None:
    found = _children(element, name)
    return (found[0].text or "").strip() if found else None


def parse_xml(text: str, parameter: str) -> Element:
    if len(text.encode("utf-8")) > MAX_QUESTION_BYTES:
        raise errors.out_of_range(parameter, f"must not be longer than {MAX_QUESTION_BYTES} bytes")
    try:
        return SafeET.fromstring(text.encode("utf-8"))
    except SafeET.ParseError as exc:
        raise errors.RequestError(
            errors.XML_PARSE_ERROR, f"There was an error parsing the XML in {parameter}: {exc}"
        ) from None
    except Exception as exc:  # defusedxml refuses entities and DTDs with its own errors
        raise errors.RequestError(
            errors.XML_PARSE_ERROR, f"{parameter} contains forbidden XML constructs: {exc}"
        ) from None


def _schema_root(root: Element, parameter: str, allowed: set[str]) -> str:
    name = _local(root.tag)
    match = SCHEMA_NS.match(_namespace(root.tag))
    if name not in allowed or not match or match.group("root") != name:
        expected = ", ".join(sorted(allowed))
        raise errors.RequestError(
            errors.XML_PARSE_ERROR,
            f"{parameter} must be one of {expected} in the MTurk data schema namespace; "
            f"got <{name}> in namespace {_namespace(root.tag) or '(none)'}",
        )
    return name


def _frame_height(root: Element, parameter: str) -> None:
    height = _text(root, "FrameHeight")
    if height is None or not height.isdigit():
        raise errors.RequestError(
            errors.XML_PARSE_ERROR, f"{parameter}: FrameHeight must be a non-negative integer"
        )


def _check_formatted_content(root: Element, parameter: str) -> None:
    for element in root.iter():
        if _local(element.tag) == "FormattedContent":
            content = element.text or ""
            try:
                SafeET.fromstring(f"<div>{content}</div>".encode())
            except Exception as exc:
                raise errors.RequestError(
                    errors.XHTML_PARSE_ERROR,
                    f"{parameter}: FormattedContent is not well-formed XHTML: {exc}",
                ) from None


def validate_question_form(root: Element, parameter: str) -> QuestionInfo:
    info = QuestionInfo(kind="QuestionForm")
    questions = _children(root, "Question")
    if not questions:
        raise errors.RequestError(
            errors.XML_PARSE_ERROR, f"{parameter}: a QuestionForm needs at least one Question"
        )
    for question in questions:
        identifier = _text(question, "QuestionIdentifier")
        if not identifier:
            raise errors.RequestError(
                errors.XML_PARSE_ERROR, f"{parameter}: every Question needs a QuestionIdentifier"
            )
        if identifier in info.identifiers:
            raise errors.RequestError(
                errors.XML_PARSE_ERROR,
                f"{parameter}: QuestionIdentifier {identifier!r} is used twice",
            )
        info.identifiers.append(identifier)
        if not _children(question, "QuestionContent"):
            raise errors.RequestError(
                errors.XML_PARSE_ERROR, f"{parameter}: Question {identifier!r} has no content"
            )
        specs = _children(question, "AnswerSpecification")
        kinds = [_local(child.tag) for spec in specs for child in spec]
        if len(specs) != 1 or len(kinds) != 1 or kinds[0] not in ANSWER_KINDS:
            raise errors.RequestError(
                errors.XML_PARSE_ERROR,
                f"{parameter}: Question {identifier!r} needs one AnswerSpecification holding "
                "FreeTextAnswer, SelectionAnswer or FileUploadAnswer",
            )
        if kinds[0] == "FileUploadAnswer":
            info.file_upload_identifiers.append(identifier)
    _check_formatted_content(root, parameter)
    return info


def validate_question(text: str, parameter: str = "Question") -> QuestionInfo:
    """Check a HIT's Question; raise XMLParseError / XHTMLParseError naming what is wrong."""
    root = parse_xml(text, parameter)
    kind = _schema_root(root, parameter, QUESTION_ROOTS)
    if kind == "HTMLQuestion":
        if not _text(root, "HTMLContent"):
            raise errors.RequestError(
                errors.XML_PARSE_ERROR, f"{parameter}: HTMLQuestion needs a non-empty HTMLContent"
            )
        _frame_height(root, parameter)
        return QuestionInfo(kind=kind)
    if kind == "ExternalQuestion":
        url = _text(root, "ExternalURL") or ""
        if not url.lower().startswith("https://"):
            raise errors.RequestError(
                errors.XML_PARSE_ERROR, f"{parameter}: ExternalURL must be an https:// URL"
            )
        _frame_height(root, parameter)
        return QuestionInfo(kind=kind)
    return validate_question_form(root, parameter)


def validate_test(text: str) -> QuestionInfo:
    """A qualification Test must be a QuestionForm without FileUploadAnswer."""
    root = parse_xml(text, "Test")
    _schema_root(root, "Test", {"QuestionForm"})
    info = validate_question_form(root, "Test")
    if info.file_upload_identifiers:
        raise errors.invalid("Test", "a qualification test cannot contain a FileUploadAnswer")
    return info


def validate_answer_key(text: str) -> Element:
    root = parse_xml(text, "AnswerKey")
    _schema_root(root, "AnswerKey", {"AnswerKey"})
    return root


def layout_parameters_needed(template: str) -> set[str]:
    """Placeholder names (`${name}`) in a HIT layout template."""
    return {
        name
        for _, name, braced, _ in string.Template.pattern.findall(template)
        for name in (name or braced,)
        if name
    }


def render_layout(template: str, parameters: dict[str, str]) -> str:
    """Substitute the parameters (XML-escaped) into the layout and wrap it in an HTMLQuestion."""
    needed = layout_parameters_needed(template)
    missing_names = sorted(needed - parameters.keys())
    if missing_names:
        raise errors.invalid(
            "HITLayoutParameters", f"no value for layout parameter(s) {', '.join(missing_names)}"
        )
    body = string.Template(template).safe_substitute(parameters)
    return (
        f'<HTMLQuestion xmlns="{HTML_QUESTION_NS}"><HTMLContent><![CDATA[{body}]]></HTMLContent>'
        "<FrameHeight>0</FrameHeight></HTMLQuestion>"
    )
