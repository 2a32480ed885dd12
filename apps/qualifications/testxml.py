"""Qualification tests (QuestionForm XML) and their answer keys (AnswerKey XML), checked by the
rules MTurk applies, before anything is sent.

Both are typed by people and pasted from elsewhere, so they are parsed with defusedxml, with DTDs
refused outright and the size bounded first: a hostile document (entity expansion, external
entities) is refused at once with a message, never expanded. One call, `qualification_test_check`, gives the
editor everything it shows: the errors beside each field, the questions (for the preview and the
answer-key helper), and what a perfect test scores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from xml.sax.saxutils import escape

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

MAX_XML_BYTES = 65535
SCHEMA_NS = re.compile(
    r"^http://mechanicalturk\.amazonaws\.com/AWSMechanicalTurkDataSchemas/"
    r"\d{4}-\d{2}-\d{2}/(?P<root>[A-Za-z]+)\.xsd$"
)
ANSWER_KEY_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/AnswerKey.xsd"
)
ANSWER_KINDS = ("FreeTextAnswer", "SelectionAnswer", "FileUploadAnswer")
STYLES = {"radiobutton", "dropdown", "checkbox", "list", "combobox", "multichooser"}
SELECTION_CONTENT = {"Text", "FormattedContent", "Binary"}
_INTEGER = re.compile(r"^-?\d+$")


class XmlRefused(Exception):
    """The text is not XML we read: not well-formed, too long, or hostile."""


@dataclass
class QuestionSpec:
    identifier: str
    kind: str
    selections: list[tuple[str, str]] = field(default_factory=list)
    max_selections: int = 1


@dataclass
class QualificationTestCheck:
    """What the editor shows beside the test, the answer key and the settings."""

    test_errors: list[str] = field(default_factory=list)
    key_errors: list[str] = field(default_factory=list)
    duration_errors: list[str] = field(default_factory=list)
    auto_grant_errors: list[str] = field(default_factory=list)
    questions: list[QuestionSpec] = field(default_factory=list)
    unscored: list[str] = field(default_factory=list)
    max_summed: int | None = None
    perfect_value: int | None = None
    mapping: str = ""

    @property
    def errors(self) -> list[str]:
        return [
            *self.duration_errors,
            *self.auto_grant_errors,
            *self.test_errors,
            *self.key_errors,
        ]

    @property
    def previewable(self) -> bool:
        return bool(self.questions) and not self.test_errors

    @property
    def selection_questions(self) -> list[QuestionSpec]:
        return [q for q in self.questions if q.kind == "SelectionAnswer"]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _children(element, name: str) -> list:
    return [child for child in element if _local(child.tag) == name]


def _text(element, name: str) -> str | None:
    found = _children(element, name)
    return (found[0].text or "").strip() if found else None


def xml_parse(text: str, what: str):
    """The root element of `text`, or XmlRefused saying why it cannot be read."""
    if len(text.encode("utf-8")) > MAX_XML_BYTES:
        raise XmlRefused(f"The {what} is longer than MTurk's {MAX_XML_BYTES:,} bytes.")
    try:
        return fromstring(text.encode("utf-8"), forbid_dtd=True)
    except DefusedXmlException:
        raise XmlRefused(
            f"The {what} declares a DTD or entities: MTurk does not accept them, and they are "
            "not read here (they can expand without end or fetch other files)."
        ) from None
    except ParseError as exc:
        raise XmlRefused(f"The {what} is not well-formed XML: {exc}.") from None


def _root_checked(root, expected: str, what: str) -> None:
    name = _local(root.tag)
    match = SCHEMA_NS.match(_namespace(root.tag))
    if name != expected:
        raise XmlRefused(f"The {what} must be a {expected}, not a {name}.")
    if not match or match.group("root") != expected:
        raise XmlRefused(
            f"The {what}'s {expected} must be in MTurk's schema namespace, e.g. "
            f'xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
            f'2017-11-06/{expected}.xsd".'
        )


def _count(element, name: str, default: int, errors: list[str], where: str) -> int:
    raw = _text(element, name)
    if raw is None:
        return default
    if not raw.isdigit():
        errors.append(f"{where}: {name} must be a whole number, not {raw!r}.")
        return default
    return int(raw)


def _selection_question(spec, identifier: str, errors: list[str]) -> QuestionSpec:
    question = QuestionSpec(identifier=identifier, kind="SelectionAnswer")
    where = f"Question {identifier}"
    groups = _children(spec, "Selections")
    if len(groups) != 1:
        errors.append(f"{where}: a SelectionAnswer needs one Selections element.")
        return question
    for selection in _children(groups[0], "Selection"):
        selection_id = _text(selection, "SelectionIdentifier")
        if not selection_id:
            errors.append(f"{where}: every Selection needs a SelectionIdentifier.")
            continue
        if selection_id in dict(question.selections):
            errors.append(f"{where}: SelectionIdentifier {selection_id!r} is used twice.")
            continue
        contents = [c for c in selection if _local(c.tag) in SELECTION_CONTENT]
        if len(contents) != 1:
            errors.append(
                f"{where}: Selection {selection_id!r} needs one Text, FormattedContent or Binary."
            )
        label = _text(selection, "Text") or selection_id
        question.selections.append((selection_id, label))
    if not question.selections:
        errors.append(f"{where}: a SelectionAnswer needs at least one Selection.")
    count = len(question.selections)
    minimum = _count(spec, "MinSelectionCount", 1, errors, where)
    maximum = _count(spec, "MaxSelectionCount", 1, errors, where)
    if count and minimum > count:
        errors.append(f"{where}: MinSelectionCount {minimum} is more than the {count} selections.")
    if count and not 1 <= maximum <= count:
        errors.append(f"{where}: MaxSelectionCount must be from 1 to {count}, not {maximum}.")
    if minimum > maximum:
        errors.append(f"{where}: MinSelectionCount is more than MaxSelectionCount.")
    style = _text(spec, "StyleSuggestion")
    if style is not None and style not in STYLES:
        errors.append(
            f"{where}: StyleSuggestion {style!r} is not one of {', '.join(sorted(STYLES))}."
        )
    question.max_selections = maximum
    return question


def _formatted_content(root, errors: list[str]) -> None:
    for element in root.iter():
        if _local(element.tag) != "FormattedContent":
            continue
        try:
            fromstring(f"<div>{element.text or ''}</div>".encode(), forbid_dtd=True)
        except (ParseError, DefusedXmlException) as exc:
            errors.append(f"FormattedContent is not well-formed XHTML: {exc}.")


def questionform_questions(test: str, errors: list[str]) -> list[QuestionSpec]:
    """The questions of a QuestionForm test; what breaks MTurk's rules goes into `errors`."""
    try:
        root = xml_parse(test, "test")
        _root_checked(root, "QuestionForm", "test")
    except XmlRefused as exc:
        errors.append(str(exc))
        return []
    questions: list[QuestionSpec] = []
    for element in root:
        name = _local(element.tag)
        if name == "Overview":
            continue
        if name != "Question":
            errors.append(f"A QuestionForm holds Overview and Question elements, not {name}.")
            continue
        identifier = _text(element, "QuestionIdentifier")
        if not identifier:
            errors.append("Every Question needs a QuestionIdentifier.")
            continue
        if any(q.identifier == identifier for q in questions):
            errors.append(f"QuestionIdentifier {identifier!r} is used twice.")
            continue
        if not _children(element, "QuestionContent"):
            errors.append(f"Question {identifier}: it needs a QuestionContent.")
        specs = _children(element, "AnswerSpecification")
        kinds = [child for spec in specs for child in spec]
        if len(specs) != 1 or len(kinds) != 1 or _local(kinds[0].tag) not in ANSWER_KINDS:
            errors.append(
                f"Question {identifier}: it needs one AnswerSpecification holding a "
                "FreeTextAnswer or a SelectionAnswer."
            )
            continue
        kind = _local(kinds[0].tag)
        if kind == "FileUploadAnswer":
            errors.append(f"Question {identifier}: a qualification test cannot ask for a file.")
            continue
        if kind == "SelectionAnswer":
            questions.append(_selection_question(kinds[0], identifier, errors))
        else:
            questions.append(QuestionSpec(identifier=identifier, kind=kind))
    if not questions and not errors:
        errors.append("A test needs at least one Question.")
    _formatted_content(root, errors)
    return questions


def _integer(raw: str | None, what: str, errors: list[str]) -> int | None:
    if raw is None:
        return None
    if not _INTEGER.match(raw):
        errors.append(f"{what} must be a whole number, not {raw!r}.")
        return None
    return int(raw)


def _key_question(element, questions: dict, errors: list[str], seen: set) -> int | None:
    """Check one keyed question; its best score, or None when it cannot be scored."""
    identifier = _text(element, "QuestionIdentifier")
    if not identifier:
        errors.append("Every Question of the answer key needs a QuestionIdentifier.")
        return None
    where = f"Answer key, question {identifier}"
    if identifier in seen:
        errors.append(f"{where}: it is keyed twice.")
        return None
    seen.add(identifier)
    question = questions.get(identifier)
    if question is None:
        errors.append(f"{where}: the test has no question {identifier}.")
        return None
    if question.kind != "SelectionAnswer":
        errors.append(f"{where}: only multiple-choice questions can be scored by a key.")
        return None
    options = _children(element, "AnswerOption")
    if not options:
        errors.append(f"{where}: it needs at least one AnswerOption.")
    known = dict(question.selections)
    scores = []
    for option in options:
        chosen = [(s.text or "").strip() for s in _children(option, "SelectionIdentifier")]
        if not chosen:
            errors.append(f"{where}: every AnswerOption names one or more SelectionIdentifier.")
        unknown = [c for c in chosen if c not in known]
        if unknown:
            errors.append(
                f"{where}: the question has no selection {', '.join(map(repr, unknown))} "
                f"(it has {', '.join(known) or 'none'})."
            )
        if len(chosen) > question.max_selections:
            errors.append(
                f"{where}: an option with {len(chosen)} selections can never match "
                f"(MaxSelectionCount is {question.max_selections})."
            )
        raw = _text(option, "AnswerScore")
        if raw is None:
            errors.append(f"{where}: every AnswerOption needs an AnswerScore.")
            continue
        score = _integer(raw, f"{where}: AnswerScore", errors)
        if score is not None:
            scores.append(score)
    default = _integer(_text(element, "DefaultScore"), f"{where}: DefaultScore", errors)
    scores.append(default or 0)
    return max(scores)


def _mapped(mapping, total: int, errors: list[str]) -> tuple[str, int | None]:
    """Check the QualificationValueMapping; its kind and the value `total` maps to."""
    kinds = [child for child in mapping]
    if len(kinds) != 1:
        errors.append(
            "A QualificationValueMapping holds one PercentageMapping, ScaleMapping or RangeMapping."
        )
        return "", None
    kind = _local(kinds[0].tag)
    body = kinds[0]
    if kind == "PercentageMapping":
        maximum = _integer(_text(body, "MaximumSummedScore"), "MaximumSummedScore", errors)
        if maximum is None:
            if _text(body, "MaximumSummedScore") is None:
                errors.append("A PercentageMapping needs a MaximumSummedScore.")
            return kind, None
        if maximum <= 0:
            errors.append("MaximumSummedScore must be more than 0.")
            return kind, None
        return kind, int((Decimal(total) * 100 / maximum).quantize(Decimal(1)))
    if kind == "ScaleMapping":
        raw = _text(body, "SummedScoreMultiplier")
        try:
            multiplier = Decimal(raw or "")
        except InvalidOperation:
            errors.append(f"SummedScoreMultiplier must be a number, not {raw!r}.")
            return kind, None
        if not multiplier.is_finite():
            errors.append(f"SummedScoreMultiplier must be a number, not {raw!r}.")
            return kind, None
        return kind, int((total * multiplier).quantize(Decimal(1)))
    if kind == "RangeMapping":
        ranges = _children(body, "SummedScoreRange")
        if not ranges:
            errors.append("A RangeMapping needs at least one SummedScoreRange.")
        value = None
        bands = []
        for band in ranges:
            numbers = {}
            for name in ("InclusiveLowerBound", "InclusiveUpperBound", "QualificationValue"):
                raw = _text(band, name)
                if raw is None:
                    errors.append(f"Every SummedScoreRange needs an {name}.")
                numbers[name] = _integer(raw, name, errors)
            low, high = numbers["InclusiveLowerBound"], numbers["InclusiveUpperBound"]
            if low is None or high is None or numbers["QualificationValue"] is None:
                continue
            if low > high:
                errors.append(f"A SummedScoreRange's lower bound {low} is above its upper {high}.")
            if any(low <= other_high and other_low <= high for other_low, other_high in bands):
                errors.append(f"The SummedScoreRange from {low} to {high} overlaps another.")
            bands.append((low, high))
            if value is None and low <= total <= high:
                value = numbers["QualificationValue"]
        raw_out = _text(body, "OutOfRangeQualificationValue")
        if raw_out is None:
            errors.append("A RangeMapping needs an OutOfRangeQualificationValue.")
            return kind, value
        out = _integer(raw_out, "OutOfRangeQualificationValue", errors)
        return kind, value if value is not None else out
    errors.append(
        f"A QualificationValueMapping holds a PercentageMapping, ScaleMapping or RangeMapping, "
        f"not {kind}."
    )
    return "", None


def answer_key_summary(
    answer_key: str, questions: list[QuestionSpec], check: QualificationTestCheck
) -> None:
    """Check the key against the test's questions; fill in the best score and what it maps to."""
    errors = check.key_errors
    try:
        root = xml_parse(answer_key, "answer key")
        _root_checked(root, "AnswerKey", "answer key")
    except XmlRefused as exc:
        errors.append(str(exc))
        return
    by_id = {q.identifier: q for q in questions}
    seen: set[str] = set()
    total = 0
    mappings = []
    for element in root:
        name = _local(element.tag)
        if name == "Question":
            best = _key_question(element, by_id, errors, seen)
            total += best or 0
        elif name == "QualificationValueMapping":
            mappings.append(element)
        else:
            errors.append(
                f"An AnswerKey holds Question and QualificationValueMapping elements, not {name}."
            )
    if not seen and not errors:
        errors.append("An answer key needs at least one Question.")
    if len(mappings) > 1:
        errors.append("An answer key has at most one QualificationValueMapping.")
    check.unscored = [q.identifier for q in questions if q.identifier not in seen]
    check.max_summed = total
    if mappings:
        check.mapping, check.perfect_value = _mapped(mappings[0], total, errors)
    else:
        check.perfect_value = total


def qualification_test_check(
    *, test: str, answer_key: str, test_duration: int | None, auto_granted: bool
) -> QualificationTestCheck:
    """Everything MTurk would refuse in a type's test settings, and what the key makes of a
    perfect test."""
    check = QualificationTestCheck()
    test, answer_key = (test or "").strip(), (answer_key or "").strip()
    if not test:
        if answer_key:
            check.key_errors.append("An answer key needs a test.")
        return check
    if not test_duration:
        check.duration_errors.append(
            "A test needs a time limit: give the test time limit (TestDurationInSeconds)."
        )
    if auto_granted:
        check.auto_grant_errors.append(
            "A type with a test cannot also be granted at once on request: MTurk refuses "
            "both together. Untick one of them."
        )
    check.questions = questionform_questions(test, check.test_errors)
    if answer_key and not check.test_errors:
        answer_key_summary(answer_key, check.questions, check)
    return check


def answer_key_build(questions: list[QuestionSpec], right: dict[str, str], score: int = 1) -> str:
    """An AnswerKey giving `score` for the right selection of each question in `right`, and a
    PercentageMapping so a perfect test is worth 100."""
    keyed = [
        (q.identifier, right[q.identifier])
        for q in questions
        if q.kind == "SelectionAnswer" and right.get(q.identifier) in dict(q.selections)
    ]
    if not keyed:
        return ""
    parts = [f'<AnswerKey xmlns="{ANSWER_KEY_NS}">']
    for identifier, selection in keyed:
        parts.append(
            f"\n  <Question>\n    <QuestionIdentifier>{escape(identifier)}</QuestionIdentifier>"
            f"\n    <AnswerOption>\n      <SelectionIdentifier>{escape(selection)}"
            f"</SelectionIdentifier>\n      <AnswerScore>{score}</AnswerScore>\n    </AnswerOption>"
            "\n  </Question>"
        )
    parts.append(
        "\n  <QualificationValueMapping>\n    <PercentageMapping>\n      <MaximumSummedScore>"
        f"{score * len(keyed)}</MaximumSummedScore>\n    </PercentageMapping>\n"
        "  </QualificationValueMapping>\n</AnswerKey>"
    )
    return "".join(parts)


def answers_read(answer_xml: str) -> list[tuple[str, str]]:
    """A worker's test answers (QuestionFormAnswers) as (question, answer) pairs, selections
    joined by commas; an answer that cannot be read is shown as it came."""
    try:
        root = xml_parse(answer_xml, "answer")
    except XmlRefused:
        return [("", answer_xml)] if answer_xml.strip() else []
    pairs = []
    for answer in _children(root, "Answer"):
        identifier = _text(answer, "QuestionIdentifier") or ""
        free = _text(answer, "FreeText")
        if free is not None:
            pairs.append((identifier, free))
            continue
        chosen = [(s.text or "").strip() for s in _children(answer, "SelectionIdentifier")]
        other = _text(answer, "OtherSelectionText")
        pairs.append((identifier, ", ".join([*chosen, *([other] if other else [])])))
    return pairs


def answer_key_right(answer_key: str) -> dict[str, str]:
    """Question -> the single selection its key scores highest, for the helper to start from."""
    try:
        root = xml_parse(answer_key, "answer key")
    except XmlRefused:
        return {}
    right = {}
    for question in _children(root, "Question"):
        best = None
        for option in _children(question, "AnswerOption"):
            chosen = _children(option, "SelectionIdentifier")
            score = _text(option, "AnswerScore") or ""
            if not (len(chosen) == 1 and _INTEGER.match(score)):
                continue
            if best is None or int(score) > best[0]:
                best = (int(score), (chosen[0].text or "").strip())
        if best is not None:
            right[_text(question, "QuestionIdentifier") or ""] = best[1]
    return right
