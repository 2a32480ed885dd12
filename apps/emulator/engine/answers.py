"""QuestionFormAnswers, the document every answer is stored as: built from fields, read back
per question, and scored against a qualification test's AnswerKey. Parsing goes through
defusedxml: answers and keys are untrusted XML.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape

from defusedxml import ElementTree as SafeET

ANSWERS_NS = (
    "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/"
    "2005-10-01/QuestionFormAnswers.xsd"
)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: Element, name: str) -> str | None:
    found = _children(element, name)
    return (found[0].text or "").strip() if found else None


def answers_xml(answers: dict[str, str]) -> str:
    """QuestionFormAnswers with one FreeText answer per field."""
    parts = [
        "<Answer><QuestionIdentifier>"
        f"{escape(str(key))}</QuestionIdentifier><FreeText>{escape(str(value))}</FreeText></Answer>"
        for key, value in answers.items()
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        f'<QuestionFormAnswers xmlns="{ANSWERS_NS}">{"".join(parts)}</QuestionFormAnswers>'
    )


def answer_values(answer_xml: str) -> dict[str, str]:
    """QuestionIdentifier -> answer text (FreeText or the selection identifiers joined by |)."""
    root = SafeET.fromstring(answer_xml.encode("utf-8"))
    values: dict[str, str] = {}
    for answer in root:
        if _local(answer.tag) != "Answer":
            continue
        identifier = _text(answer, "QuestionIdentifier") or ""
        free = _text(answer, "FreeText")
        if free is not None:
            values[identifier] = free
        else:
            values[identifier] = "|".join(
                (child.text or "").strip()
                for child in answer
                if _local(child.tag) == "SelectionIdentifier"
            )
    return values


def answer_sets(answer_xml: str) -> dict[str, frozenset[str]]:
    """Question id -> the set of values the worker gave (stripped), for the review policies."""
    found: dict[str, set[str]] = {}
    try:
        root = SafeET.fromstring(answer_xml.encode("utf-8"))
    except Exception:
        return {}
    for answer in root:
        if _local(answer.tag) != "Answer":
            continue
        identifier = ""
        values: list[str] = []
        for child in answer:
            name = _local(child.tag)
            if name == "QuestionIdentifier":
                identifier = (child.text or "").strip()
            elif (
                name in {"FreeText", "SelectionIdentifier", "OtherSelectionText"}
                and (child.text or "").strip()
            ):
                values.append((child.text or "").strip())
        found.setdefault(identifier, set()).update(values)
    return {key: frozenset(value) for key, value in found.items()}


def answer_key_score(answer_key: str, answer_xml: str) -> int:
    """Score a test answer with an AnswerKey (answer options, DefaultScore, value mappings).

    The key was checked when the qualification type was stored (`operations.questions`)."""
    root = SafeET.fromstring(answer_key.encode("utf-8"))
    given = answer_values(answer_xml)
    total = 0
    for question in _children(root, "Question"):
        identifier = _text(question, "QuestionIdentifier") or ""
        chosen = set(filter(None, given.get(identifier, "").split("|")))
        score = None
        for option in _children(question, "AnswerOption"):
            wanted = {(s.text or "").strip() for s in _children(option, "SelectionIdentifier")}
            if wanted and wanted == chosen:
                score = int(_text(option, "AnswerScore") or 0)
                break
        if score is None:
            score = int(_text(question, "DefaultScore") or 0)
        total += score
    mapping = _children(root, "QualificationValueMapping")
    if not mapping:
        return total
    for kind in mapping[0]:
        name = _local(kind.tag)
        if name == "PercentageMapping":
            maximum = int(_text(kind, "MaximumSummedScore") or 0)
            return round(total * 100 / maximum) if maximum else 0
        if name == "ScaleMapping":
            return round(total * float(_text(kind, "SummedScoreMultiplier") or 1))
        if name == "RangeMapping":
            for band in _children(kind, "SummedScoreRange"):
                low = int(_text(band, "InclusiveLowerBound") or 0)
                high = int(_text(band, "InclusiveUpperBound") or 0)
                if low <= total <= high:
                    return int(_text(band, "QualificationValue") or 0)
            return int(_text(kind, "OutOfRangeQualificationValue") or 0)
    return total
