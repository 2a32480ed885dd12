"""The worker site (`/worker/`): pick a worker, find HITs, preview, accept, work, submit, return,
request qualifications and take their tests. Plus `/mturk/externalSubmit`, where question forms
post as on MTurk, and the 60-second download URLs of GetFileUploadURL.

Local use, no passwords: the chosen worker id lives in a cookie. Pages never trust the requester's
HTML: questions render in a sandboxed iframe (see `frames.py`).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import wraps
from urllib.parse import urlencode

from django.core import signing
from django.db import transaction
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotFound,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from ...engine import clock, lifecycle, uploads
from ...engine.accounts import worker_get_or_create
from ...models import HIT, Assignment, QualificationType, Worker
from ...wire.ids import new_id
from ..actions import (
    WorkerActionError,
    assignment_return,
    assignment_submit,
    hit_accept,
    hit_preview,
    qualification_request,
)
from ..answer_fields import question_shape
from . import answers, frames, selectors

COOKIE = "emulator_worker"
WORKER_ID = re.compile(r"^A[A-Z0-9]{1,63}$")
TEST_SALT = "emulator.qualification-test"


def _origin(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _redirect(path: str, **query: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(path + ("?" + urlencode(query) if query else ""))


def worker_required(view):
    """The view gets `worker_id` from the cookie; without one, the identity page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        worker_id = request.COOKIES.get(COOKIE, "")
        if not WORKER_ID.match(worker_id):
            return _redirect("/worker/")
        lifecycle.run_due_if_needed(clock.now())
        return view(request, worker_id, *args, **kwargs)

    return wrapper


@require_GET
def identity(request: HttpRequest) -> HttpResponse:
    # The newest first: a crowd can hold thousands, and the one just made is the one wanted.
    workers = Worker.objects.order_by("-pk").values_list("worker_id", flat=True)[:500]
    return render(
        request,
        "emulator/worker/identity.html",
        {
            "workers": workers,
            "current": request.COOKIES.get(COOKIE, ""),
            "notice": request.GET.get("notice", ""),
        },
    )


@require_POST
def identity_set(request: HttpRequest) -> HttpResponse:
    worker_id = request.POST.get("worker_id", "").strip().upper()
    if request.POST.get("new"):
        worker_id = "A" + new_id()[:13]
    if not WORKER_ID.match(worker_id):
        return _redirect("/worker/", notice="A worker id starts with A, then letters and digits.")
    worker_get_or_create(worker_id)
    response = _redirect("/worker/hits")
    response.set_cookie(COOKIE, worker_id, samesite="Lax", httponly=True)
    return response


def _group_search(request: HttpRequest) -> tuple[selectors.GroupSearch, str]:
    """The HIT list's search from its query string, and what was wrong with it ("" if nothing)."""
    problem = ""
    min_reward = None
    raw = request.GET.get("min_reward", "").strip().lstrip("$")
    if raw:
        try:
            min_reward = Decimal(raw)
        except InvalidOperation:
            problem = f"{raw!r} is not an amount of dollars; showing every reward."
        else:
            if not min_reward.is_finite():
                min_reward, problem = None, "The lowest reward must be a number of dollars."
    sort = request.GET.get("sort", "newest")
    search = selectors.GroupSearch(
        words=request.GET.get("q", "")[:200],
        min_reward=min_reward,
        sort=sort if sort in selectors.SORTS else "newest",
        page=request.GET.get("page", 1),
    )
    return search, problem


@require_GET
@worker_required
def hit_groups(request: HttpRequest, worker_id: str) -> HttpResponse:
    search, problem = _group_search(request)
    page = selectors.search_hit_groups(worker_id, clock.now(), search)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("notice", None)
    return render(
        request,
        "emulator/worker/hits.html",
        {
            "worker_id": worker_id,
            "page": page,
            "search": search,
            "sorts": [(key, label) for key, (label, _, _) in selectors.SORTS.items()],
            "query": query.urlencode(),
            "notice": request.GET.get("notice", "") or problem,
        },
    )


@require_GET
@worker_required
def worker_me(request: HttpRequest, worker_id: str) -> HttpResponse:
    return render(
        request,
        "emulator/worker/me.html",
        {
            "worker_id": worker_id,
            "page": selectors.worker_page(worker_id, request.GET.get("page", 1)),
        },
    )


def _frame_context(hit: HIT, *, params: dict[str, str], origin: str) -> dict:
    shape = question_shape(hit.question)
    context: dict = {"kind": shape.kind, "frame_height": shape.frame_height or 600}
    if shape.kind == "HTMLQuestion":
        # A URL of its own carrying the parameters, as MTurk serves it: the HIT's scripts read
        # them from location.search.
        context["src"] = "/dynamic/hit?" + urlencode(params)
    elif shape.kind == "ExternalQuestion":
        context["src"] = frames.external_question_url(shape.external_url, params)
    else:
        context["srcdoc"] = frames.question_form_document(
            hit.question,
            action="/mturk/externalSubmit",
            origin=origin,
            hidden={"assignmentId": params["assignmentId"]},
        )
    return context


@require_GET
@worker_required
def hit_preview_page(request: HttpRequest, worker_id: str, hit_id: str) -> HttpResponse:
    try:
        hit_preview(worker_id=worker_id, hit_id=hit_id)
    except WorkerActionError as exc:
        return _redirect("/worker/hits", notice=exc.reason)
    hit = HIT.objects.select_related("hit_type").get(hit_id=hit_id)
    params = {"assignmentId": frames.PREVIEW_ASSIGNMENT_ID, "hitId": hit.hit_id}
    return render(
        request,
        "emulator/worker/hit.html",
        {
            "worker_id": worker_id,
            "hit": hit,
            "preview": True,
            **_frame_context(hit, params=params, origin=_origin(request)),
        },
    )


@require_POST
@worker_required
def hit_accept_view(request: HttpRequest, worker_id: str, hit_id: str) -> HttpResponse:
    try:
        assignment = hit_accept(worker_id=worker_id, hit_id=hit_id, now=clock.now())
    except WorkerActionError as exc:
        return _redirect("/worker/hits", notice=exc.reason)
    return _redirect(f"/worker/assignments/{assignment.assignment_id}")


def _own_assignment(worker_id: str, assignment_id: str) -> Assignment | None:
    return (
        Assignment.objects.select_related("hit__hit_type")
        .filter(assignment_id=assignment_id, worker_id=worker_id)
        .first()
    )


@require_GET
@worker_required
def assignment_work(request: HttpRequest, worker_id: str, assignment_id: str) -> HttpResponse:
    assignment = _own_assignment(worker_id, assignment_id)
    if assignment is None:
        return HttpResponseNotFound("no such assignment of yours")
    if assignment.status != Assignment.Status.ACCEPTED:
        return _redirect("/worker/hits", notice=f"That assignment is {assignment.status}.")
    now = clock.now()
    hit = assignment.hit
    origin = _origin(request)
    params = {
        "assignmentId": assignment.assignment_id,
        "hitId": hit.hit_id,
        "workerId": worker_id,
        "turkSubmitTo": origin,
    }
    return render(
        request,
        "emulator/worker/hit.html",
        {
            "worker_id": worker_id,
            "hit": hit,
            "assignment": assignment,
            "preview": False,
            "seconds_left": max(0, int((assignment.deadline - now).total_seconds())),
            **_frame_context(hit, params=params, origin=origin),
        },
    )


@require_POST
@worker_required
def assignment_return_view(
    request: HttpRequest, worker_id: str, assignment_id: str
) -> HttpResponse:
    if _own_assignment(worker_id, assignment_id) is None:
        return HttpResponseNotFound("no such assignment of yours")
    try:
        assignment_return(assignment_id=assignment_id, now=clock.now())
    except WorkerActionError as exc:
        return _redirect("/worker/hits", notice=exc.reason)
    return _redirect("/worker/hits", notice="You returned the HIT.")


@require_GET
def html_question_frame(request: HttpRequest) -> HttpResponse:
    """`/dynamic/hit?assignmentId=..&hitId=..&workerId=..&turkSubmitTo=..`: an HTMLQuestion as
    the document of the worker page's frame (see `frames.html_question_document`).

    A preview is shown to the worker of the site's cookie when they may preview the HIT; an
    accepted assignment's frame only while that worker has it. The document is sandboxed by its
    own Content-Security-Policy too, so that opened on its own (not in the frame) the
    requester's HTML still runs in an opaque origin, never with the worker site's cookies.
    """
    now = clock.now()
    lifecycle.run_due_if_needed(now)
    hit = (
        HIT.objects.select_related("hit_type")
        .filter(hit_id=request.GET.get("hitId", ""), deleted=False)
        .first()
    )
    shape = question_shape(hit.question) if hit is not None else None
    if shape is None or shape.kind != "HTMLQuestion":
        return _frame_result(
            request, ok=False, message="There is no such HIT.", event="missing", status=404
        )
    assignment_id = request.GET.get("assignmentId", "")
    if answers.is_preview(assignment_id):
        worker_id = request.COOKIES.get(COOKIE, "")
        if not WORKER_ID.match(worker_id):
            return _frame_result(
                request,
                ok=False,
                message="Choose a worker on the worker site to preview HITs.",
                event="refused",
                status=403,
            )
        try:
            hit_preview(worker_id=worker_id, hit_id=hit.hit_id)
        except WorkerActionError as exc:
            return _frame_result(request, ok=False, message=exc.reason, event="refused", status=403)
        params = {"assignmentId": frames.PREVIEW_ASSIGNMENT_ID, "hitId": hit.hit_id}
    else:
        assignment = Assignment.objects.filter(
            assignment_id=assignment_id,
            hit=hit,
            worker_id=request.GET.get("workerId", ""),
            status=Assignment.Status.ACCEPTED,
        ).first()
        if assignment is None:
            return _frame_result(
                request,
                ok=False,
                message="This assignment is not one you are working on.",
                event="refused",
                status=403,
            )
        params = {
            "assignmentId": assignment.assignment_id,
            "hitId": hit.hit_id,
            "workerId": assignment.worker_id,
            "turkSubmitTo": _origin(request),
        }
    response = HttpResponse(
        frames.html_question_document(shape.html, params=params, origin=_origin(request)),
        content_type="text/html; charset=utf-8",
    )
    response["Content-Security-Policy"] = frames.FRAME_SANDBOX_POLICY
    response["Cache-Control"] = "no-store"
    return response


def _frame_result(request: HttpRequest, *, ok: bool, message: str, event: str, status: int = 200):
    """The page shown inside the question frame after a post; it tells the parent page."""
    return render(
        request,
        "emulator/worker/frame_result.html",
        {"ok": ok, "message": message, "event": event, "problems": {}},
        status=status,
    )


@require_POST
def external_submit(request: HttpRequest) -> HttpResponse:
    """`/mturk/externalSubmit`: the form of an HTMLQuestion, ExternalQuestion or QuestionForm."""
    now = clock.now()
    lifecycle.run_due_if_needed(now)
    assignment_id = request.POST.get("assignmentId", "")
    if answers.is_preview(assignment_id):
        return _frame_result(
            request,
            ok=False,
            message="This is a preview: accept the HIT before submitting.",
            event="preview",
            status=400,
        )
    assignment = (
        Assignment.objects.select_related("hit__hit_type")
        .filter(assignment_id=assignment_id)
        .first()
    )
    if assignment is None or assignment.status != Assignment.Status.ACCEPTED:
        return _frame_result(
            request,
            ok=False,
            message="This assignment cannot be submitted (it is not yours to submit any more).",
            event="refused",
            status=400,
        )
    question = assignment.hit.question
    with transaction.atomic():
        if question_shape(question).kind == "QuestionForm":
            problems = answers.question_form_problems(question, request.POST, request.FILES)
            if problems:
                return render(
                    request,
                    "emulator/worker/frame_result.html",
                    {
                        "ok": False,
                        "message": "Some answers need another look.",
                        "event": "invalid",
                        "problems": problems,
                    },
                    status=400,
                )
            answer_xml = answers.question_form_answers(
                question, request.POST, request.FILES, assignment=assignment, now=now
            )
        else:
            answer_xml = answers.html_form_answers(request.POST)
        try:
            assignment_submit(assignment_id=assignment_id, now=now, answer_xml=answer_xml)
        except WorkerActionError as exc:
            transaction.set_rollback(True)
            return _frame_result(request, ok=False, message=exc.reason, event="refused", status=400)
    return _frame_result(request, ok=True, message="Your answer was submitted.", event="submitted")


# ---------------------------------------------------------------------------------------------
# Qualifications


@require_GET
@worker_required
def qualifications(request: HttpRequest, worker_id: str) -> HttpResponse:
    return render(
        request,
        "emulator/worker/qualifications.html",
        {
            "worker_id": worker_id,
            "types": selectors.requestable_types(worker_id, clock.now()),
            "notice": request.GET.get("notice", ""),
        },
    )


def _qtype(qualification_type_id: str) -> QualificationType | None:
    return QualificationType.objects.filter(
        qualification_type_id=qualification_type_id, deleted=False, customer__isnull=False
    ).first()


def _granted_notice(result: dict) -> str:
    if result["Status"] == "Accepted":
        return f"Qualification granted with value {result['IntegerValue']}."
    return "Your request was sent to the requester."


@require_POST
@worker_required
def qualification_request_view(
    request: HttpRequest, worker_id: str, qualification_type_id: str
) -> HttpResponse:
    qtype = _qtype(qualification_type_id)
    if qtype is None:
        return HttpResponseNotFound("no such qualification type")
    if qtype.test:
        return _redirect(f"/worker/qualifications/{qualification_type_id}/test")
    try:
        result = qualification_request(
            worker_id=worker_id, qualification_type_id=qualification_type_id, now=clock.now()
        )
    except WorkerActionError as exc:
        return _redirect("/worker/qualifications", notice=exc.reason)
    return _redirect("/worker/qualifications", notice=_granted_notice(result))


@require_GET
@worker_required
def qualification_test(
    request: HttpRequest, worker_id: str, qualification_type_id: str
) -> HttpResponse:
    qtype = _qtype(qualification_type_id)
    if qtype is None or not qtype.test:
        return HttpResponseNotFound("no such qualification test")
    now = clock.now()
    blocker = selectors.request_blocker(qtype, worker_id, now)
    if blocker:
        return _redirect("/worker/qualifications", notice=blocker)
    # The test frame is sandboxed (no cookies): a signed token says who started it and when.
    token = signing.dumps(
        {"w": worker_id, "q": qualification_type_id, "t": now.timestamp()}, salt=TEST_SALT
    )
    return render(
        request,
        "emulator/worker/qualification_test.html",
        {
            "worker_id": worker_id,
            "qtype": qtype,
            "srcdoc": frames.question_form_document(
                qtype.test,
                action="/worker/qualifications/test",
                origin=_origin(request),
                hidden={"testToken": token},
                submit_label="Submit the test",
            ),
        },
    )


@require_POST
def qualification_test_submit(request: HttpRequest) -> HttpResponse:
    """The qualification test's form (posted from the sandboxed frame, so no cookie)."""
    try:
        token = signing.loads(request.POST.get("testToken", ""), salt=TEST_SALT)
    except signing.BadSignature:
        return HttpResponseBadRequest("this test was not started here")
    qtype = _qtype(token["q"])
    if qtype is None or not qtype.test:
        return HttpResponseNotFound("no such qualification test")
    now = clock.now()
    if qtype.test_duration and now.timestamp() - token["t"] > qtype.test_duration:
        return _frame_result(
            request,
            ok=False,
            message=f"Time is up: this test had to be submitted within {qtype.test_duration} s.",
            event="qualification-late",
            status=400,
        )
    problems = answers.question_form_problems(qtype.test, request.POST, request.FILES)
    if problems:
        return render(
            request,
            "emulator/worker/frame_result.html",
            {
                "ok": False,
                "message": "Some answers need another look.",
                "event": "invalid",
                "problems": problems,
            },
            status=400,
        )
    answer_xml = answers.question_form_answers(qtype.test, request.POST, request.FILES)
    try:
        result = qualification_request(
            worker_id=token["w"],
            qualification_type_id=qtype.qualification_type_id,
            now=now,
            answer=answer_xml,
        )
    except WorkerActionError as exc:
        return _frame_result(request, ok=False, message=exc.reason, event="refused", status=400)
    return _frame_result(request, ok=True, message=_granted_notice(result), event="qualification")


# ---------------------------------------------------------------------------------------------
# Files


@require_GET
def uploaded_file(request: HttpRequest, token: str) -> HttpResponse:
    """Serve an uploaded file to whoever has a GetFileUploadURL URL younger than 60 seconds."""
    found = uploads.file_for_token(token, now=clock.now())
    if found is None:
        return HttpResponse(
            "This URL has expired or is not valid.", status=403, content_type="text/plain"
        )
    response = HttpResponse(
        bytes(found.content), content_type=found.content_type or "application/octet-stream"
    )
    response["Content-Disposition"] = f'attachment; filename="{found.name or found.key}"'
    response["Cache-Control"] = "no-store"
    return response
