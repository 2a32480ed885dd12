"""Control API for the surveys the local MTurk serves (not part of MTurk; see
`engine.surveys`).

- `POST /_emulator/surveys {"Title", "CodeMode", "Code", "Secret", "Codes", "WorkerParam",
  "AssignmentParam"}` -> `{"SurveyId", "Url"}`: a survey with the default questions.
- `GET /_emulator/surveys/<SurveyId>`: its settings and its responses (`WorkerId`,
  `AssignmentId`, `Code`, `Answers`, `At`), oldest first.
"""

from __future__ import annotations

from django.http import HttpRequest

from ..engine import clock
from ..engine import surveys as survey_engine
from .common import ControlError, control_view, json_body

_OPTIONAL_TEXT = {
    "Title": "title",
    "Code": "code",
    "Secret": "secret",
    "WorkerParam": "worker_param",
    "AssignmentParam": "assignment_param",
}
_KNOWN = {"CodeMode", "Codes", *_OPTIONAL_TEXT}


@control_view({"POST"})
def surveys(request: HttpRequest) -> dict:
    data = json_body(request)
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise ControlError(
            f"unknown keys: {', '.join(unknown)} (known: {', '.join(sorted(_KNOWN))})"
        )
    options: dict = {}
    for key, name in _OPTIONAL_TEXT.items():
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ControlError(f"{key} must be a string")
        if value is not None:
            options[name] = value
    code_mode = data.get("CodeMode")
    if not isinstance(code_mode, str):
        raise ControlError("CodeMode is required: fixed, hmac or list")
    try:
        survey = survey_engine.survey_create(
            code_mode=code_mode,
            codes=data.get("Codes"),
            now=clock.now(),
            **{"title": "", **options},
        )
    except survey_engine.SurveyError as exc:
        raise ControlError(exc.message) from None
    return {"SurveyId": survey.key, "Url": survey_engine.survey_url(survey)}


@control_view({"GET"})
def survey_detail(request: HttpRequest, key: str) -> dict:
    survey = survey_engine.survey_get(key)
    if survey is None:
        raise ControlError(f"no such survey: {key}", "SurveyDoesNotExist", 404)
    return survey_engine.survey_as_dict(survey)
