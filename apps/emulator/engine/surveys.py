"""Surveys the local MTurk serves itself: a stand-in for the outside survey (Qualtrics and the
like) of a survey-link study, so studies run offline and in tests.

A survey lives at `/survey/<key>/`, reads the worker id and the assignment id from its URL
parameters (`worker_param`, `assignment_param`; by default `workerId` and `assignmentId`), asks
a few questions and ends on a page showing the completion code. The code (`survey_code`):

- `fixed`: the survey's one `code`, the same for everybody;
- `hmac`: `hmac.new(secret.encode(), worker_id.encode(), hashlib.sha256).hexdigest()[:10].upper()`
  (the dashboard computes the same function to check codes without asking anyone);
- `list`: the first code of `codes` not yet given to anybody; a worker who comes back gets the
  code they were given before; once every code is given, none (the end page says so).

Every completed visit is a `SurveyResponse`, written by `survey_respond` (the survey page and the
simulated crowd both go through it). `survey_create` is behind the control API and the page that
makes test surveys.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction

from ..models import Survey, SurveyCodeGrant, SurveyResponse
from .clock import iso
from .uploads import public_url

KEY_ALPHABET = string.ascii_lowercase + string.digits
KEY_LENGTH = 16
PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
SURVEY_PATH = re.compile(r"^/survey/(?P<key>[a-z0-9]{1,32})/?$")
MAX_TITLE = 200
MAX_CODE = 64
MAX_SECRET = 256
MAX_CODES = 10000
MAX_TEXT_ANSWER = 2000
MAX_ID = 128
PREVIEW_ASSIGNMENT_ID = "ASSIGNMENT_ID_NOT_AVAILABLE"

DEFAULT_QUESTIONS: list[dict] = [
    {
        "name": "clarity",
        "kind": "scale",
        "label": "How clear were the instructions?",
        "min": 1,
        "max": 5,
        "low": "not clear",
        "high": "very clear",
        "required": True,
    },
    {
        "name": "pet",
        "kind": "choice",
        "label": "Which do you prefer?",
        "options": ["Cats", "Dogs", "Neither"],
        "required": True,
    },
    {
        "name": "comments",
        "kind": "text",
        "label": "Anything you would like to add?",
        "required": False,
    },
]


class SurveyError(Exception):
    """What is wrong with a survey's settings; `field` names the setting."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def hmac_code(secret: str, worker_id: str) -> str:
    """The `hmac` mode's code of a worker (see the module doc; the dashboard repeats it)."""
    return hmac.new(secret.encode(), worker_id.encode(), hashlib.sha256).hexdigest()[:10].upper()


def _new_key() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


def _clean_codes(codes: object) -> list[str]:
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise SurveyError("Codes must be a list of strings", "codes")
    clean = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not clean:
        raise SurveyError("a list survey needs at least one code", "codes")
    if len(clean) > MAX_CODES:
        raise SurveyError(f"at most {MAX_CODES} codes", "codes")
    if any(len(c) > MAX_CODE for c in clean):
        raise SurveyError(f"a code is at most {MAX_CODE} characters", "codes")
    return clean


def survey_create(
    *,
    title: str,
    code_mode: str,
    now: datetime,
    code: str = "",
    secret: str = "",
    codes: list[str] | None = None,
    worker_param: str = "workerId",
    assignment_param: str = "assignmentId",
) -> Survey:
    """Make a survey with the default questions; SurveyError says what is wrong."""
    title = (title or "").strip() or "Survey"
    if len(title) > MAX_TITLE:
        raise SurveyError(f"the title is at most {MAX_TITLE} characters", "title")
    if code_mode not in Survey.CodeMode.values:
        raise SurveyError("the code mode is one of fixed, hmac, list", "code_mode")
    code = (code or "").strip()
    clean_codes: list[str] = []
    if code_mode == Survey.CodeMode.FIXED:
        if not code:
            raise SurveyError("a fixed survey needs its code", "code")
        if len(code) > MAX_CODE:
            raise SurveyError(f"the code is at most {MAX_CODE} characters", "code")
    elif code_mode == Survey.CodeMode.HMAC:
        if not secret:
            raise SurveyError("an hmac survey needs its secret", "secret")
        if len(secret) > MAX_SECRET:
            raise SurveyError(f"the secret is at most {MAX_SECRET} characters", "secret")
    else:
        clean_codes = _clean_codes(codes if codes is not None else [])
    worker_param = (worker_param or "").strip() or "workerId"
    assignment_param = (assignment_param or "").strip() or "assignmentId"
    for name, value in (("worker_param", worker_param), ("assignment_param", assignment_param)):
        if not PARAM_NAME.match(value):
            raise SurveyError(
                f"{value!r} is not a URL parameter name (letters, digits, _ . -)", name
            )
    if worker_param == assignment_param:
        raise SurveyError(
            "the worker id and the assignment id need two parameters", "assignment_param"
        )
    return Survey.objects.create(
        key=_new_key(),
        title=title,
        questions=DEFAULT_QUESTIONS,
        code_mode=code_mode,
        code=code if code_mode == Survey.CodeMode.FIXED else "",
        secret=secret if code_mode == Survey.CodeMode.HMAC else "",
        codes=clean_codes,
        worker_param=worker_param,
        assignment_param=assignment_param,
        created_at=now,
    )


def survey_url(survey: Survey) -> str:
    """The absolute URL of the survey (its parameters not filled in)."""
    return f"{public_url()}/survey/{survey.key}/"


def survey_get(key: str) -> Survey | None:
    return Survey.objects.filter(key=key).first() if key else None


@dataclass(frozen=True)
class Visit:
    """Who takes the survey, from its URL; `problem` is why the survey cannot be taken."""

    worker_id: str
    assignment_id: str
    problem: str = ""


def survey_visit(survey: Survey, query: Mapping[str, str]) -> Visit:
    """Read the ids from the survey's own URL parameters. Without a worker id there can be no
    code (an hmac code is made from it, a list code is kept for it)."""
    worker_id = (query.get(survey.worker_param) or "").strip()[:MAX_ID]
    assignment_id = (query.get(survey.assignment_param) or "").strip()[:MAX_ID]
    if not worker_id:
        return Visit(
            "",
            assignment_id,
            f"This survey link has no worker id: it needs the {survey.worker_param} parameter "
            f"(…/survey/{survey.key}/?{survey.worker_param}=YOUR_WORKER_ID). Open it from the "
            "HIT, where it is filled in for you.",
        )
    if assignment_id == PREVIEW_ASSIGNMENT_ID:
        return Visit(
            worker_id, "", "This is a preview of the HIT: accept the HIT before taking the survey."
        )
    return Visit(worker_id, assignment_id)


def survey_answers_clean(
    survey: Survey, data: Mapping[str, str]
) -> tuple[dict[str, object], dict[str, str]]:
    """(answers, problems by question name) of a posted survey form."""
    answers: dict[str, object] = {}
    problems: dict[str, str] = {}
    for question in survey.questions:
        name = question["name"]
        raw = (data.get(name) or "").strip()
        if not raw:
            if question.get("required"):
                problems[name] = "Please answer this question."
            continue
        if question["kind"] == "scale":
            low, high = int(question["min"]), int(question["max"])
            if not raw.isdigit() or not low <= int(raw) <= high:
                problems[name] = f"Pick a number from {low} to {high}."
            else:
                answers[name] = int(raw)
        elif question["kind"] == "choice":
            if raw not in question["options"]:
                problems[name] = "Pick one of the choices."
            else:
                answers[name] = raw
        else:
            if len(raw) > MAX_TEXT_ANSWER:
                problems[name] = f"At most {MAX_TEXT_ANSWER} characters."
            else:
                answers[name] = raw
    return answers, problems


def _list_code(survey: Survey, worker_id: str, now: datetime) -> str:
    """The worker's code of a list survey, given now if it was not before ("" when none is left).

    The grant's unique constraints make it safe when two workers finish at once: the one whose
    insert loses tries the next code.
    """
    for _ in range(len(survey.codes) + 1):
        kept = SurveyCodeGrant.objects.filter(survey=survey, worker_id=worker_id).first()
        if kept is not None:
            return kept.code
        given = set(SurveyCodeGrant.objects.filter(survey=survey).values_list("code", flat=True))
        free = next((c for c in survey.codes if c not in given), None)
        if free is None:
            return ""
        try:
            with transaction.atomic():
                SurveyCodeGrant.objects.create(
                    survey=survey, worker_id=worker_id, code=free, granted_at=now
                )
        except IntegrityError:
            continue
        return free
    return ""


def survey_code(survey: Survey, worker_id: str, *, now: datetime) -> str:
    """The code the survey shows this worker at its end ("" when it has none to give)."""
    if survey.code_mode == Survey.CodeMode.FIXED:
        return survey.code
    if survey.code_mode == Survey.CodeMode.HMAC:
        return hmac_code(survey.secret, worker_id)
    return _list_code(survey, worker_id, now)


def survey_respond(
    *, survey: Survey, visit: Visit, answers: dict[str, object], now: datetime
) -> SurveyResponse:
    """Record a completed survey and the code shown for it (a page visit and the crowd alike)."""
    if visit.problem:
        raise SurveyError(visit.problem, "worker_param")
    code = survey_code(survey, visit.worker_id, now=now)
    return SurveyResponse.objects.create(
        survey=survey,
        worker_id=visit.worker_id,
        assignment_id=visit.assignment_id,
        answers=answers,
        code=code,
        answered_at=now,
    )


def survey_from_url(href: str) -> Survey | None:
    """The survey a link points at, when it is one of this local MTurk's (never any other site:
    nothing is fetched). Relative links count as this site's."""
    try:
        parts = urlsplit(href.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme and parts.scheme not in {"http", "https"}:
        return None
    if parts.netloc and not _is_this_site(parts.scheme or "http", parts.hostname or "", port):
        return None
    match = SURVEY_PATH.match(parts.path)
    return survey_get(match["key"]) if match else None


def _is_this_site(scheme: str, host: str, port: int | None) -> bool:
    public = urlsplit(public_url())
    own_port = public.port or (443 if public.scheme == "https" else 80)
    port = port or (443 if scheme == "https" else 80)
    names = {name.strip("[]").lower() for name in settings.ALLOWED_HOSTS}
    return host.lower() in names and port == own_port


def survey_as_dict(survey: Survey) -> dict:
    """The control API's view of a survey and its responses, oldest first."""
    return {
        "SurveyId": survey.key,
        "Url": survey_url(survey),
        "Title": survey.title,
        "CodeMode": survey.code_mode,
        "Code": survey.code,
        "Secret": survey.secret,
        "Codes": survey.codes,
        "CodesGiven": survey.grants.count(),
        "WorkerParam": survey.worker_param,
        "AssignmentParam": survey.assignment_param,
        "Questions": survey.questions,
        "CreatedAt": iso(survey.created_at),
        "Responses": [
            {
                "WorkerId": response.worker_id,
                "AssignmentId": response.assignment_id,
                "Code": response.code,
                "Answers": response.answers,
                "At": iso(response.answered_at),
            }
            for response in survey.responses.order_by("pk")
        ],
    }
