"""The surveys' pages (public, on the local MTurk's own site; see `engine.surveys`):

- `/survey/new/`: a form to make a test survey, which then shows the survey's URL (to paste into
  a study when running offline);
- `/survey/<key>/?workerId=..&assignmentId=..` (the survey's own parameter names): the questions;
  posting them records the response and shows the end page with the completion code in
  `<strong id="completion-code">`.

Unlike the rest of the worker site these pages take their forms with Django's CSRF protection:
a survey is a page of its own in the worker's browser (opened from a HIT), not a sandboxed frame.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from ...engine import clock
from ...engine import surveys as survey_engine
from ...models import Survey

MODES = [
    ("fixed", "Fixed: one code for everybody"),
    ("hmac", "HMAC: a code made from the worker id with a secret"),
    ("list", "List: one code of a list per worker"),
]

FORM_FIELDS = ("title", "code_mode", "code", "secret", "codes", "worker_param", "assignment_param")


def _question_rows(survey: Survey, posted: dict, problems: dict[str, str]) -> list[dict]:
    rows = []
    for question in survey.questions:
        row = dict(question)
        row["answer"] = posted.get(question["name"], "")
        row["problem"] = problems.get(question["name"], "")
        if question["kind"] == "scale":
            row["choices"] = [str(n) for n in range(int(question["min"]), int(question["max"]) + 1)]
        elif question["kind"] == "choice":
            row["choices"] = list(question["options"])
        rows.append(row)
    return rows


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "emulator/survey/problem.html",
        {"heading": "No such survey", "problem": "This survey does not exist (any more)."},
        status=404,
    )


@require_http_methods(["GET", "POST"])
@csrf_protect
def survey_take(request: HttpRequest, key: str) -> HttpResponse:
    survey = survey_engine.survey_get(key)
    if survey is None:
        return _not_found(request)
    visit = survey_engine.survey_visit(survey, request.GET)
    if visit.problem:
        return render(
            request,
            "emulator/survey/problem.html",
            {"survey": survey, "heading": survey.title, "problem": visit.problem},
            status=400,
        )
    posted: dict = {}
    problems: dict[str, str] = {}
    if request.method == "POST":
        posted = {q["name"]: request.POST.get(q["name"], "") for q in survey.questions}
        answers, problems = survey_engine.survey_answers_clean(survey, request.POST)
        if not problems:
            response = survey_engine.survey_respond(
                survey=survey, visit=visit, answers=answers, now=clock.now()
            )
            return render(
                request, "emulator/survey/end.html", {"survey": survey, "code": response.code}
            )
    return render(
        request,
        "emulator/survey/take.html",
        {
            "survey": survey,
            "questions": _question_rows(survey, posted, problems),
            "action": request.get_full_path(),
            "problems": problems,
        },
        status=400 if problems else 200,
    )


def _new_form(request: HttpRequest, values: dict, problem: str = "", field: str = "", **extra):
    return render(
        request,
        "emulator/survey/new.html",
        {"values": values, "modes": MODES, "problem": problem, "field": field, **extra},
        status=400 if problem else 200,
    )


@require_http_methods(["GET", "POST"])
@csrf_protect
def survey_new(request: HttpRequest) -> HttpResponse:
    defaults = {
        "code_mode": "fixed",
        "worker_param": "workerId",
        "assignment_param": "assignmentId",
    }
    if request.method == "GET":
        created = survey_engine.survey_get(request.GET.get("created", ""))
        extra = {}
        if created is not None:
            url = survey_engine.survey_url(created)
            example = {created.worker_param: "ATESTWORKER1", created.assignment_param: "TEST1"}
            extra = {"created": created, "url": url, "example": f"{url}?{urlencode(example)}"}
        return _new_form(request, defaults, **extra)
    values = {name: request.POST.get(name, "") for name in FORM_FIELDS}
    try:
        survey = survey_engine.survey_create(
            title=values["title"],
            code_mode=values["code_mode"],
            code=values["code"],
            secret=values["secret"],
            codes=values["codes"].splitlines(),
            worker_param=values["worker_param"],
            assignment_param=values["assignment_param"],
            now=clock.now(),
        )
    except survey_engine.SurveyError as exc:
        return _new_form(request, values, exc.message, exc.field)
    return HttpResponseRedirect("/survey/new/?" + urlencode({"created": survey.key}), status=303)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form posted without this site's CSRF token (another site's page, or an expired one)."""
    return render(
        request,
        "emulator/survey/problem.html",
        {
            "heading": "This form was not sent from its page",
            "problem": "The form's security token is missing or does not match. Go back, reload "
            "the page and send it again.",
        },
        status=403,
    )
