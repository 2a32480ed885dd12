"""The simulated crowd in a survey-link study: follow the HIT's survey link, take the survey,
type its completion code into the HIT's code box.

A link is followed when it points at one of this local MTurk's surveys (`/survey/<key>/`, by a
relative or an absolute URL of this site): an `<a data-survey-link>`, or any `<a href>` with that
path. A link to any other site is never followed (nothing is fetched); the code box is then
answered as any text box. The worker builds the survey's URL with its worker id and assignment id
under the names the link gives (`data-worker-param`, `data-assignment-param`; by default the
survey's own), reads them back as the survey page would (`surveys.survey_visit`, so a link naming
other parameters than the survey reads gets no code), answers the questions and records the
response through `surveys.survey_respond`, as a visit of the page does.

The code box is the field marked `data-completion-code`, else the one named `completion_code`.
Honesty follows the profile's accuracy (the chance of giving the truth of any field): an honest
worker takes the survey and types its code; the others do not take it and type a made-up code,
another participant's code (one the survey gave somebody else), or nothing when the box is not
required. Spammers are never honest. Every draw comes from the worker's seeded generator.
"""

from __future__ import annotations

import random
import string
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..engine import surveys
from ..models import Assignment, Survey, SurveyResponse
from .answer_fields import AnswerField, Link, QuestionShape

FILLER_COMMENTS = ["", "", "no", "all good", "thanks", "it was fine"]
NO_CODE = "NO CODE"


def code_box(shape: QuestionShape) -> AnswerField | None:
    """The HIT's completion code box: `data-completion-code`, else `completion_code`."""
    marked = [item for item in shape.fields if item.completion_code]
    if marked:
        return marked[0]
    return next((item for item in shape.fields if item.name == "completion_code"), None)


def _followed(shape: QuestionShape) -> tuple[Link, Survey] | None:
    for link in sorted(shape.links, key=lambda link: not link.marked):
        survey = surveys.survey_from_url(link.href)
        if survey is not None:
            return link, survey
    return None


def survey_link_url(link: Link, survey: Survey, *, worker_id: str, assignment_id: str) -> str:
    """The link's URL with the ids added under its parameter names (the survey's by default)."""
    parts = urlsplit(link.href)
    query = parse_qsl(parts.query, keep_blank_values=True)
    ids = {
        link.worker_param or survey.worker_param: worker_id,
        link.assignment_param or survey.assignment_param: assignment_id,
    }
    query = [(key, value) for key, value in query if key not in ids] + list(ids.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _survey_answers(survey: Survey, rng: random.Random) -> dict[str, object]:
    answers: dict[str, object] = {}
    for question in survey.questions:
        if question["kind"] == "scale":
            answers[question["name"]] = rng.randint(int(question["min"]), int(question["max"]))
        elif question["kind"] == "choice":
            answers[question["name"]] = rng.choice(question["options"])
        else:
            comment = rng.choice(FILLER_COMMENTS)
            if comment:
                answers[question["name"]] = comment
    return answers


def _made_up(survey: Survey, rng: random.Random) -> str:
    if survey.code_mode == Survey.CodeMode.HMAC:
        return "".join(rng.choice("0123456789ABCDEF") for _ in range(10))
    model = survey.code or (survey.codes[0] if survey.codes else "")
    length = min(max(len(model), 6), surveys.MAX_CODE)
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def _someone_elses(survey: Survey, worker_id: str, rng: random.Random) -> str:
    codes = list(
        SurveyResponse.objects.filter(survey=survey)
        .exclude(worker_id=worker_id)
        .exclude(code="")
        .order_by("pk")
        .values_list("code", flat=True)[:200]
    )
    return rng.choice(codes) if codes else ""


def survey_link_answer(
    *,
    shape: QuestionShape,
    values: dict[str, list[str]],
    assignment: Assignment,
    accuracy: float,
    spammer: bool,
    rng: random.Random,
    now: datetime,
) -> dict | None:
    """Follow the HIT's survey link, if it has one to this site, and put the code in `values`.

    Returns what happened, for the crowd's report (`{"SurveyId", "Url", "Behaviour", "Code"}`;
    Behaviour: honest | no-code | refused | made-up | reused | nothing), or None when the HIT
    has no survey link to follow.
    """
    followed = _followed(shape)
    if followed is None:
        return None
    link, survey = followed
    box = code_box(shape)
    url = survey_link_url(
        link, survey, worker_id=assignment.worker_id, assignment_id=assignment.assignment_id
    )
    report = {"SurveyId": survey.key, "Url": url}
    if not spammer and rng.random() < accuracy:
        visit = surveys.survey_visit(survey, dict(parse_qsl(urlsplit(url).query)))
        if visit.problem:
            # The survey showed its error page: no code to type; the box keeps its text answer.
            return report | {"Behaviour": "refused", "Code": None}
        response = surveys.survey_respond(
            survey=survey, visit=visit, answers=_survey_answers(survey, rng), now=now
        )
        code = response.code or (NO_CODE if box is not None and box.required else "")
        behaviour = "honest" if response.code else "no-code"
    else:
        choices = ["made-up", "reused"] + ([] if box is None or box.required else ["nothing"])
        behaviour = rng.choice(choices)
        code = ""
        if behaviour == "reused":
            code = _someone_elses(survey, assignment.worker_id, rng)
            if not code:  # nobody took the survey yet: nothing to copy
                behaviour = "made-up"
        if behaviour == "made-up":
            code = _made_up(survey, rng)
    if box is not None:
        values[box.name] = [code]
    return report | {"Behaviour": behaviour, "Code": code}
