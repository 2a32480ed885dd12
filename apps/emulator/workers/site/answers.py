"""From a posted form to QuestionFormAnswers, as MTurk's `/mturk/externalSubmit` does.

- HTMLQuestion / ExternalQuestion: one Answer with FreeText per posted field value, in the order
  posted; a name posted several times (checkboxes, multiple selects) keeps every value; the
  `assignmentId` field is MTurk's, not an answer.
- QuestionForm (and qualification tests): SelectionIdentifier per chosen option (OtherSelectionText
  for "other"), FreeText, and UploadedFileSizeInBytes / UploadedFileKey for uploaded files, after
  checking every constraint the form declares (the browser checks them too, but a form can be
  posted without it).
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile as PostedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from ...models import Assignment, UploadedFile
from ..answer_fields import (
    AnswerField,
    free_text_answers_xml,
    question_form_answers_xml,
    question_form_fields,
)
from .frames import PREVIEW_ASSIGNMENT_ID

OTHER = "__other__"
MTURK_FIELDS = {"assignmentId"}


@dataclass
class FormConstraints:
    """What a QuestionForm Question demands beyond its field (read from the XML)."""

    required: bool
    regex: str | None = None
    regex_error: str = ""


def html_form_answers(post: QueryDict) -> str:
    pairs = [
        (name, value)
        for name, values in post.lists()
        if name not in MTURK_FIELDS
        for value in values
    ]
    return free_text_answers_xml(pairs)


def _constraints(question_form_xml: str) -> dict[str, FormConstraints]:
    from defusedxml import ElementTree as SafeET

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    found: dict[str, FormConstraints] = {}
    root = SafeET.fromstring(question_form_xml.encode("utf-8"))
    for question in root:
        if local(question.tag) != "Question":
            continue
        identifier = required = ""
        regex = None
        error = ""
        for child in question.iter():
            name = local(child.tag)
            if name == "QuestionIdentifier" and not identifier:
                identifier = (child.text or "").strip()
            elif name == "IsRequired":
                required = (child.text or "").strip()
            elif name == "AnswerFormatRegex":
                regex = child.get("regex")
                error = child.get("errorText", "")
        found[identifier] = FormConstraints(required.lower() == "true", regex, error)
    return found


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def _field_problem(
    item: AnswerField, rules: FormConstraints, post: QueryDict, files: MultiValueDict
) -> str | None:
    if item.kind == "selection":
        chosen = [v for v in post.getlist(item.name) if v]
        if not chosen:
            return "Choose an answer." if rules.required else None
        unknown = [v for v in chosen if v != OTHER and v not in item.options]
        if unknown:
            return f"{unknown[0]!r} is not one of the choices."
        if len(chosen) < item.min_selections:
            return f"Choose at least {item.min_selections}."
        if len(chosen) > item.max_selections:
            return f"Choose at most {item.max_selections}."
        if OTHER in chosen and not post.get(item.name + ".other", "").strip():
            return "Say what the other answer is."
        return None
    if item.kind == "file":
        posted = files.get(item.name)
        if posted is None:
            return "Upload a file." if rules.required else None
        if item.minimum is not None and posted.size < item.minimum:
            return f"The file must be at least {int(item.minimum)} bytes."
        if item.maximum is not None and posted.size > item.maximum:
            return f"The file must be at most {int(item.maximum)} bytes."
        return None
    value = post.get(item.name, "")
    if not value.strip():
        return "This answer is required." if rules.required else None
    if item.kind == "number":
        number = _number(value)
        if number is None:
            return "Enter a number."
        if item.minimum is not None and number < item.minimum:
            return f"Enter a number of at least {item.minimum:g}."
        if item.maximum is not None and number > item.maximum:
            return f"Enter a number of at most {item.maximum:g}."
    if item.min_length is not None and len(value) < item.min_length:
        return f"Enter at least {item.min_length} characters."
    if item.max_length is not None and len(value) > item.max_length:
        return f"Enter at most {item.max_length} characters."
    if rules.regex:
        try:
            matched = re.fullmatch(rules.regex, value) is not None
        except re.error:
            matched = True
        if not matched:
            return rules.regex_error or "The answer does not have the expected format."
    return None


def question_form_problems(
    question_form_xml: str, post: QueryDict, files: MultiValueDict
) -> dict[str, str]:
    """Question identifier -> what is wrong with its answer (empty when the form is fine)."""
    from defusedxml import ElementTree as SafeET

    root = SafeET.fromstring(question_form_xml.encode("utf-8"))
    rules = _constraints(question_form_xml)
    problems: dict[str, str] = {}
    for item in question_form_fields(root):
        problem = _field_problem(item, rules.get(item.name, FormConstraints(False)), post, files)
        if problem:
            problems[item.name] = problem
    return problems


def _upload_key() -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(30))


def question_form_answers(
    question_form_xml: str,
    post: QueryDict,
    files: MultiValueDict,
    *,
    assignment: Assignment | None = None,
    now: datetime | None = None,
) -> str:
    """QuestionFormAnswers for a checked QuestionForm post; uploaded files are stored for the
    assignment (only assignments have files; a qualification test cannot ask for one)."""
    from defusedxml import ElementTree as SafeET

    fields = question_form_fields(SafeET.fromstring(question_form_xml.encode("utf-8")))
    values: dict[str, list[str]] = {}
    other: dict[str, str] = {}
    uploads: dict[str, tuple[str, int]] = {}
    for item in fields:
        if item.kind == "selection":
            chosen = [v for v in post.getlist(item.name) if v]
            values[item.name] = [v for v in chosen if v != OTHER]
            if OTHER in chosen:
                other[item.name] = post.get(item.name + ".other", "").strip()
        elif item.kind == "file":
            posted: PostedFile | None = files.get(item.name)
            if posted is not None and assignment is not None and now is not None:
                key = _upload_key()
                UploadedFile.objects.create(
                    assignment=assignment,
                    question_identifier=item.name,
                    key=key,
                    name=(posted.name or "")[:255],
                    content_type=(posted.content_type or "")[:255],
                    size=posted.size,
                    content=posted.read(),
                    uploaded_at=now,
                )
                uploads[item.name] = (key, posted.size)
        elif post.get(item.name, "") != "":
            values[item.name] = [post.get(item.name, "")]
    present = [
        item
        for item in fields
        if values.get(item.name) or item.name in other or item.name in uploads
    ]
    return question_form_answers_xml(present, values, other=other, uploads=uploads)


def is_preview(assignment_id: str) -> bool:
    return assignment_id in ("", PREVIEW_ASSIGNMENT_ID)
