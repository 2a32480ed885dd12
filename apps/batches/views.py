from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from apps.batches import exports, gold, previews, selectors, services, templating
from apps.batches.forms import (
    ActionForm,
    BatchUploadForm,
    CancelForm,
    LaunchForm,
    ProjectForm,
    requirement_formset,
)
from apps.batches.models import (
    ActionKind,
    ActionStatus,
    Batch,
    BatchStatus,
    Project,
    QuestionKind,
)
from apps.mturk.errors import MTurkError
from apps.qualifications import requirements as qualification_requirements
from apps.requesters.access import current_membership_for, membership_for
from apps.requesters.roles import Action, role_allows
from apps.requesters.services import CredentialsMissing, SpendingRefused, requester_balance
from apps.review.bonuses import selectors as bonus_selectors
from apps.review.bonuses import sync as bonus_sync
from mturkdash.exports import csv_response

# The preview frame: the worker's HTML in a sandboxed iframe of its own, with a policy of its
# own: inline styles and https images as a worker would see them; scripts only from the crowd
# elements' host, and only for crowd-form templates (the iframe has no allow-same-origin).
# A preview shows the requester's own HTML: even opened in a tab of its own, it runs in a
# sandbox of its own origin (no allow-same-origin), never on the dashboard's.
_FRAME_POLICY = {
    "default-src": ["'none'"],
    "img-src": ["https:", "data:"],
    "style-src": ["'unsafe-inline'", "https:"],
    "font-src": ["https:", "data:"],
    "media-src": ["https:"],
    "script-src": ["'none'"],
    "connect-src": ["'none'"],
    "frame-src": ["'none'"],
    "form-action": ["'none'"],
    "frame-ancestors": ["'self'"],
    "sandbox": ["allow-forms", "allow-scripts"],
}
# Only a template that loads MTurk's crowd script may run it.
_CROWD_FRAME_POLICY = {**_FRAME_POLICY, "script-src": ["https://assets.crowd.aws"]}


def _project(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> HttpResponse:
    project = get_object_or_404(Project.objects.select_related("requester"), pk=pk)
    return project, membership_for(
        user=request.user, requester_id=project.requester_id, action=action
    )


def _batch(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> HttpResponse:
    batch = get_object_or_404(Batch.objects.select_related("requester", "project"), pk=pk)
    return batch, membership_for(user=request.user, requester_id=batch.requester_id, action=action)


def _sample(variables: list[str]) -> dict[str, str]:
    return {name: f"[{name}]" for name in variables}


# --- projects ------------------------------------------------------------------------------


@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request)
    if membership is None:
        messages.info(request, "Choose an account first.")
        return redirect("home")
    return render(
        request,
        "batches/projects.html",
        {
            "requester": membership.requester,
            "projects": selectors.projects_for(membership.requester),
            "can_launch": role_allows(membership.role, Action.LAUNCH),
        },
    )


def project_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:
        membership = current_membership_for(request, Action.LAUNCH)
        if membership is None:
            return redirect("home")
        project = None
    else:
        project, membership = _project(request, pk, Action.LAUNCH)
    form = ProjectForm(request.POST or None, instance=project)
    requirements = requirement_formset(
        request.POST or None, requester=membership.requester, project=project
    )
    if request.method == "POST" and form.is_valid() and requirements.is_valid():
        data = dict(form.cleaned_data)
        data["qualification_requirements"] = requirements.requirements()
        try:
            project = services.project_save(
                membership=membership, actor=request.user, data=data, project=project
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Project {project.name} saved.")
            for warning in form.gold_warnings:
                messages.warning(request, warning)
            return redirect("batches-project", pk=project.pk)
    template = form["template"].value() or ""
    kind = form["question_kind"].value() or QuestionKind.HTML
    return render(
        request,
        "batches/project_form.html",
        {
            "form": form,
            "requirements": requirements,
            "project": project,
            "check": templating.check(template, kind=kind, frame_height=0),
        },
    )


@require_POST
def project_check(request: HttpRequest) -> HttpResponse:
    """The editor's live check (HTMX): variables, errors and warnings of the template."""
    if current_membership_for(request) is None:
        raise Http404
    template = request.POST.get("template", "")
    kind = request.POST.get("question_kind") or QuestionKind.HTML
    try:
        height = int(request.POST.get("frame_height") or 0)
    except ValueError:
        height = 0
    check = templating.check(template, kind=kind, frame_height=height)
    return render(request, "batches/project_form.html#check", {"check": check})


@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project, membership = _project(request, pk)
    check = templating.check(
        project.template, kind=project.question_kind, frame_height=project.frame_height
    )
    return render(
        request,
        "batches/project.html",
        {
            "project": project,
            "requirements_text": qualification_requirements.requirements_describe(
                project.qualification_requirements, requester=project.requester
            ),
            "check": check,
            "batches": project.batches.order_by("-created_at"),
            "can_launch": role_allows(membership.role, Action.LAUNCH),
            "upload_form": BatchUploadForm(),
            "preview_scripts": _uses_scripts(project.question_kind, project.template),
        },
    )


def _uses_scripts(kind: str, template: str) -> bool:
    """crowd-form needs the crowd elements' script: only then may the preview frame run one."""
    return kind == QuestionKind.HTML and templating.uses_crowd_form(template)


@require_POST
def batch_upload(request: HttpRequest, pk: int) -> HttpResponse:
    project, membership = _project(request, pk, Action.LAUNCH)
    form = BatchUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        problems = " ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, f"Give the batch a name and choose a CSV file. {problems}")
        return redirect("batches-project", pk=project.pk)
    try:
        batch = services.batch_create(
            membership=membership,
            actor=request.user,
            project=project,
            name=form.cleaned_data["name"],
            upload=form.cleaned_data["file"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("batches-project", pk=project.pk)
    if batch.status == BatchStatus.INVALID:
        messages.error(request, "The CSV has errors: nothing can be launched from it.")
    return redirect("batches-detail", pk=batch.pk)


# --- previews ------------------------------------------------------------------------------


def _frame(kind: str, template: str, values: dict) -> HttpResponse:
    body = previews.worker_view(kind, template, values)
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    crowd = kind == QuestionKind.HTML and templating.loads_crowd_script(template)
    response._csp_replace = _CROWD_FRAME_POLICY if crowd else _FRAME_POLICY
    return response


@require_GET
@xframe_options_sameorigin
def project_preview(request: HttpRequest, pk: int) -> HttpResponse:
    project, _ = _project(request, pk)
    values = _sample(templating.variables(project.template))
    return _frame(project.question_kind, project.template, values)


@require_GET
@xframe_options_sameorigin
def row_preview(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    batch, _ = _batch(request, pk)
    row = get_object_or_404(batch.rows, index=index)
    props = services.batch_properties(batch)
    return _frame(props["question_kind"], props["template"], row.values)


# --- batches -------------------------------------------------------------------------------


@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request)
    if membership is None:
        messages.info(request, "Choose an account first.")
        return redirect("home")
    page = Paginator(selectors.batches_for(membership.requester), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "batches/list.html", {"requester": membership.requester, "page": page})


def _review_context(batch: Batch) -> dict:
    estimate = services.batch_estimate(batch, remaining_only=batch.status != BatchStatus.VALIDATED)
    balance = balance_error = None
    try:
        balance = requester_balance(requester=batch.requester)
    except (MTurkError, CredentialsMissing) as exc:
        balance_error = str(exc)
    return {
        "estimate": estimate,
        "balance": balance,
        "balance_error": balance_error,
        "covered": balance is not None and balance >= estimate.total,
        "launch_form": LaunchForm(),
    }


def _batch_context(request: HttpRequest, batch: Batch, membership) -> dict:
    props = services.batch_properties(batch)
    actions = list(selectors.batch_actions(batch)[:10])
    preview_index = request.GET.get("row", "0")
    preview_index = int(preview_index) if preview_index.isdigit() else 0
    context = {
        "batch": batch,
        "props": props,
        "requester": batch.requester,
        "can_launch": role_allows(membership.role, Action.LAUNCH),
        "can_exclude": role_allows(membership.role, Action.QUALIFICATIONS),
        "progress": selectors.launch_progress(batch),
        "counters": selectors.batch_counters(batch),
        "chart": selectors.submissions_chart(batch),
        "failed_rows": selectors.failed_rows(batch)[:200],
        "actions": actions,
        "running_action": any(
            a.status in (ActionStatus.QUEUED, ActionStatus.RUNNING) for a in actions
        ),
        "cancel_form": CancelForm(),
        "action_kinds": ActionKind.choices,
        "preview_index": min(preview_index, max(batch.row_count - 1, 0)),
        "preview_scripts": _uses_scripts(props["question_kind"], props["template"]),
        "raw_variables": templating.raw_variables(props["template"]),
        "gold_missing": gold.gold_columns_missing(batch),
        "hits": Paginator(selectors.batch_hits(batch), 100).get_page(request.GET.get("page")),
    }
    if batch.status in (BatchStatus.VALIDATED, BatchStatus.FAILED):
        context.update(_review_context(batch))
    return context


def _bonus_context(request: HttpRequest, batch: Batch, membership) -> dict:
    payments = bonus_selectors.batch_bonuses(batch)
    page = Paginator(payments, 50).get_page(request.GET.get("bonus_page"))
    page.object_list = bonus_selectors.fees_attach(page.object_list)
    return {
        "bonuses": page,
        "bonus_totals": bonus_selectors.bonus_totals(payments),
        "can_refresh_bonuses": role_allows(membership.role, Action.REVIEW),
    }


@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk)
    context = _batch_context(request, batch, membership)
    context.update(_bonus_context(request, batch, membership))  # not polled with the progress
    return render(request, "batches/detail.html", context)


@require_GET
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk)
    context = _batch_context(request, batch, membership)
    if request.htmx:
        return render(request, "batches/detail.html#progress", context)
    return redirect("batches-detail", pk=pk)


def _after(batch: Batch):
    return redirect("batches-detail", pk=batch.pk)


@require_POST
def batch_launch(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    form = LaunchForm(request.POST)
    form.is_valid()
    try:
        estimate = services.batch_launch(
            membership=membership,
            actor=request.user,
            batch=batch,
            confirm_name=form.cleaned_data.get("confirm_name", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except SpendingRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Launching {estimate.hits:,} HITs (${estimate.total:.2f}).")
    return _after(batch)


@require_POST
def batch_retry(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    try:
        count = services.batch_retry_failed(membership=membership, actor=request.user, batch=batch)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Retrying {count} failed row{'s' if count != 1 else ''}.")
    return _after(batch)


@require_POST
def batch_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    form = CancelForm(request.POST)
    form.is_valid()
    try:
        services.batch_cancel(
            membership=membership,
            actor=request.user,
            batch=batch,
            expire=form.cleaned_data.get("expire", False),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Cancelling: no new HIT will be created.")
    return _after(batch)


@require_POST
def batch_resume(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    try:
        services.batch_resume(membership=membership, batch=batch)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The launch task is queued again; it finishes what is left.")
    return _after(batch)


@require_POST
def batch_action(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    hit_choices = [(h, h) for h in request.POST.getlist("hits") if h.isdigit()]
    form = ActionForm(request.POST, hit_choices=hit_choices)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return _after(batch)
    data = form.cleaned_data
    try:
        action = services.batch_action_start(
            membership=membership,
            actor=request.user,
            batch=batch,
            kind=data["kind"],
            hit_ids=[int(h) for h in data["hits"]] or None,
            seconds=data.get("seconds"),
            assignments=data.get("assignments"),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except SpendingRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{action.get_kind_display()}: {action.total} HIT{'s' if action.total != 1 else ''} queued.",
        )
    return _after(batch)


@require_POST
def batch_bonuses_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.REVIEW)
    try:
        listed = bonus_sync.batch_bonuses_refresh(
            membership=membership, actor=request.user, batch=batch
        )
    except (MTurkError, CredentialsMissing) as exc:
        messages.error(request, f"MTurk did not list the bonuses: {exc}")
    else:
        messages.success(
            request, f"MTurk lists {listed} bonus payment{'s' if listed != 1 else ''}."
        )
    return redirect(f"{reverse('batches-detail', args=[batch.pk])}#bonuses")


# --- downloads -----------------------------------------------------------------------------


def _filename(batch: Batch, suffix: str) -> str:
    return f"{slugify(batch.name) or 'batch'}-{batch.pk}-{suffix}"


@require_GET
def results_csv(request: HttpRequest, pk: int) -> HttpResponseBase:
    batch, _ = _batch(request, pk)
    answers = exports.answer_fields(batch)
    return csv_response(
        _filename(batch, "results.csv"),
        exports.results_header(batch, answers),
        exports.results_rows(batch, answers),
    )


@require_GET
def results_jsonl(request: HttpRequest, pk: int) -> HttpResponseBase:
    batch, _ = _batch(request, pk)
    response = StreamingHttpResponse(
        exports.results_jsonl(batch), content_type="application/jsonl; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(batch, "results.jsonl")}"'
    return response


@require_GET
def input_csv(request: HttpRequest, pk: int) -> HttpResponseBase:
    batch, _ = _batch(request, pk)
    if not batch.input_file:
        raise Http404("No input file.")
    return FileResponse(
        batch.input_file.open("rb"),
        as_attachment=True,
        filename=batch.input_name or _filename(batch, "input.csv"),
        content_type="text/csv",
    )
