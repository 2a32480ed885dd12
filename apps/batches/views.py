from __future__ import annotations

import base64
import csv
import io
import re
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.batches import (
    copying,
    crowdscript,
    exports,
    gold,
    previews,
    selectors,
    services,
    starters,
    taskspec,
    templating,
    waves,
)
from apps.batches.forms import (
    ActionForm,
    BatchExcludeForm,
    BatchReplaceUploadForm,
    BatchUploadForm,
    CancelForm,
    LaunchForm,
    ProjectCopyForm,
    ProjectForm,
    WavePlanForm,
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
from apps.batches.pay import views as pay_views
from apps.hits.models import HIT
from apps.mturk.errors import MTurkError
from apps.qualifications import requirements as qualification_requirements
from apps.requesters.access import SESSION_KEY, current_membership_for, membership_for
from apps.requesters.roles import Action, role_allows
from apps.requesters.services import CredentialsMissing, SpendingRefused, requester_balance
from apps.review.bonuses import hourly
from apps.review.bonuses import selectors as bonus_selectors
from apps.review.bonuses import sync as bonus_sync
from mturkdash.exports import csv_response
from mturkdash.templatetags import money

# The preview frame: the worker's HTML in a sandboxed iframe of its own, with a policy of its
# own: inline styles and https images as a worker would see them; scripts only from the crowd
# elements' host of the account's environment (crowdscript.py), and only for templates that
# load them (the iframe has no allow-same-origin).
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


def _crowd_frame_policy(requester) -> dict:
    """Only a template that loads the crowd script may run it, from its one origin."""
    return {**_FRAME_POLICY, "script-src": [crowdscript.crowd_script_origin(requester)]}


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
    starter = None
    if pk is None:
        membership = current_membership_for(request, Action.LAUNCH)
        if membership is None:
            return redirect("home")
        project = None
        starter = starters.starter_get(request.GET.get("starter", ""))
    else:
        project, membership = _project(request, pk, Action.LAUNCH)
    initial = None
    if starter is not None:
        initial = _starter_initial(
            starter, _rate(request, membership.requester), membership.requester
        )
    form = ProjectForm(request.POST or None, instance=project, initial=initial)
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
            for warning in [*form.template_warnings, *form.gold_warnings]:
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
            "starter": starters.starter_get(form["starter"].value() or "") if not project else None,
            "check": _editor_check(template, kind=kind, frame_height=0),
        },
    )


def _editor_check(template: str, *, kind: str, frame_height: int) -> templating.TemplateCheck:
    # Nothing typed yet is nothing wrong yet: an empty editor shows no error.
    if not template.strip():
        return templating.TemplateCheck()
    return templating.check(template, kind=kind, frame_height=frame_height)


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
    check = _editor_check(template, kind=kind, frame_height=height)
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
            "requirement_labels": qualification_requirements.requirements_labels(
                project.qualification_requirements, requester=project.requester
            ),
            "check": check,
            "batches": pay_views.batches_pay_attach(
                hourly.batches_with_pay(project.batches.order_by("-created_at")),
                requester=project.requester,
            ),
            **pay_views.pay_context(membership=membership, project=project),
            "can_launch": role_allows(membership.role, Action.LAUNCH),
            "upload_form": BatchUploadForm(),
            "preview_scripts": _uses_scripts(project.question_kind, project.template),
            "starter": starters.starter_get(project.starter) if project.starter else None,
        },
    )


def project_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy a project into this account or another of the person's (its edit page opens)."""
    source, _ = _project(request, pk, Action.LAUNCH)
    form = ProjectCopyForm(
        request.POST or None,
        targets=copying.project_copy_targets(request.user),
        initial={
            "name": copying.project_copy_name(source, source.requester),
            "requester": source.requester_id,
        },
    )
    foreign: list[str] = []
    if request.method == "POST" and form.is_valid():
        membership = membership_for(
            user=request.user, requester_id=form.cleaned_data["requester"], action=Action.LAUNCH
        )
        try:
            result = copying.project_copy(
                source=source,
                membership=membership,
                actor=request.user,
                name=form.cleaned_data["name"],
                drop_foreign=form.cleaned_data["drop_foreign"],
            )
        except copying.ForeignRequirements as exc:
            foreign = exc.labels
            form.add_error(None, exc)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            copy = result.project
            # The copy opens in its own account: the switcher follows it there.
            request.session[SESSION_KEY] = copy.requester_id
            messages.success(
                request, f"{source.name} copied to {copy.name} in {copy.requester.name}."
            )
            if result.dropped:
                messages.warning(
                    request,
                    "Left out, as "
                    + copy.requester.name
                    + " cannot use another account's qualification types: "
                    + "; ".join(result.dropped)
                    + ".",
                )
            return redirect("batches-project-edit", pk=copy.pk)
    return render(
        request,
        "batches/project_copy.html",
        {"project": source, "form": form, "foreign": foreign},
    )


def _uses_scripts(kind: str, template: str) -> bool:
    """crowd-form needs the crowd elements' script: only then may the preview frame run one."""
    return kind == QuestionKind.HTML and templating.uses_crowd_form(template)


@require_http_methods(["GET", "POST"])
def batch_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """The upload of a batch's CSV. A file with errors makes no batch: the form comes back with
    the errors, the name kept."""
    project, membership = _project(request, pk, Action.LAUNCH)
    form = BatchReplaceUploadForm(request.POST or None, request.FILES or None, project=project)
    report: dict = {}
    if request.method == "POST" and not form.is_valid():
        problems = " ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, f"Give the batch a name and choose a CSV file. {problems}")
    elif request.method == "POST":
        upload = form.cleaned_data["file"]
        try:
            batch = services.batch_create(
                membership=membership,
                actor=request.user,
                project=project,
                name=form.cleaned_data["name"],
                upload=upload,
                replaces=form.cleaned_data["replaces"],
            )
        except services.CsvRefused as exc:
            report = exc.report
            messages.error(
                request,
                f"{upload.name} has errors: no batch was made. Fix the file and upload it again.",
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if batch.status == BatchStatus.CHECKING:
                messages.info(request, f"{batch.input_name} is being checked.")
            return redirect("batches-detail", pk=batch.pk)
    check = templating.check(
        project.template, kind=project.question_kind, frame_height=project.frame_height
    )
    return render(
        request,
        "batches/upload.html",
        {"project": project, "form": form, "report": report, "variables": check.variables},
    )


# --- previews ------------------------------------------------------------------------------


def _frame(request, requester, kind: str, template: str, values: dict) -> HttpResponse:
    body = previews.worker_view(kind, template, values)
    crowd = kind == QuestionKind.HTML and templating.loads_crowd_script(template)
    if crowd:
        body = crowdscript.crowd_script_use(body, requester)
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    policy = dict(_crowd_frame_policy(requester) if crowd else _FRAME_POLICY)
    # The dashboard's own images and sounds too: the starter projects' example media.
    own = request.build_absolute_uri("/").rstrip("/")
    policy["img-src"] = [*policy["img-src"], own]
    policy["media-src"] = [*policy["media-src"], own]
    response._csp_replace = policy
    return response


@require_GET
@xframe_options_sameorigin
def project_preview(request: HttpRequest, pk: int) -> HttpResponse:
    project, _ = _project(request, pk)
    values = _sample(templating.variables(project.template))
    return _frame(request, project.requester, project.question_kind, project.template, values)


@require_POST
@xframe_options_sameorigin
def project_draft_preview(request: HttpRequest) -> HttpResponse:
    """The editor's live preview: the template being typed, with placeholder values, as the
    workers of the project's account (or of the chosen account, for a new one) would see it."""
    project_id = request.GET.get("project", "")
    if project_id.isdigit():
        _, membership = _project(request, int(project_id), Action.LAUNCH)
    else:
        membership = current_membership_for(request, Action.LAUNCH)
        if membership is None:
            raise Http404
    template = request.POST.get("template", "")
    kind = request.POST.get("question_kind") or QuestionKind.HTML
    if kind not in QuestionKind.values:
        kind = QuestionKind.HTML
    values = _sample(templating.variables(template))
    return _frame(request, membership.requester, kind, template, values)


@require_GET
@xframe_options_sameorigin
def row_preview(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    batch, _ = _batch(request, pk)
    row = get_object_or_404(batch.rows, index=index)
    props = services.batch_properties(batch)
    return _frame(request, batch.requester, props["question_kind"], props["template"], row.values)


# --- the starter gallery -------------------------------------------------------------------

# `{media}/cat.svg` in a starter's example CSV: a file of static/starters/media.
_STARTER_MEDIA = re.compile(r"\{media\}/([A-Za-z0-9][A-Za-z0-9._-]*)")
RATE_LOW, RATE_HIGH = Decimal("1.00"), Decimal("200.00")


def _rate(request: HttpRequest, requester) -> Decimal:
    """The hourly rate rewards are suggested at: `?rate=` within reason, else the account's
    target rate (the account's settings), else the default."""
    default = getattr(requester, "target_hourly_rate", None) or starters.DEFAULT_HOURLY_RATE
    try:
        rate = Decimal(request.GET.get("rate") or default)
    except InvalidOperation:
        return default
    if not rate.is_finite() or not RATE_LOW <= rate <= RATE_HIGH:
        return default
    return rate.quantize(Decimal("0.01"))


def _starter(request: HttpRequest, slug: str):
    membership = current_membership_for(request, Action.LAUNCH)
    if membership is None:
        raise Http404
    starter = starters.starter_get(slug)
    if starter is None:
        raise Http404("No such starter project.")
    return starter, membership


def _starter_csv(request: HttpRequest, starter) -> str:
    """The example CSV with its media as absolute URLs of this dashboard, which the workers'
    browsers (and the preview) load them from."""

    def url(match: re.Match) -> str:
        return request.build_absolute_uri(static(f"starters/media/{match.group(1)}"))

    return _STARTER_MEDIA.sub(url, starter.example_csv)


def _starter_rows(request: HttpRequest, starter) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_starter_csv(request, starter))))


def _thumbnail(starter) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(starter.thumbnail.encode()).decode()


def _free_name(requester, base: str) -> str:
    """`base`, or `base (2)`, ... : the first name no project of the account has."""
    taken = set(
        Project.objects.filter(requester=requester, name__startswith=base[:50]).values_list(
            "name", flat=True
        )
    )
    name, number = base, 2
    while name in taken:
        name, number = f"{base} ({number})", number + 1
    return name


def _starter_initial(starter, rate: Decimal, requester) -> dict:
    return {
        "name": _free_name(requester, starter.name),
        "question_kind": QuestionKind.HTML,
        "template": starter.template,
        "frame_height": starter.frame_height,
        "title": starter.title,
        "description": starter.description,
        "keywords": starter.keywords,
        "reward": starter.reward(rate),
        "max_assignments": starter.max_assignments,
        "lifetime": starter.lifetime,
        "assignment_duration": starter.assignment_duration,
        "auto_approval_delay": starter.auto_approval_delay,
        "gold": gold.gold_fields_text(starter.gold_fields),
        "starter": starter.slug,
    }


@require_GET
def gallery(request: HttpRequest) -> HttpResponse:
    """New project: a starter of the gallery, or a blank one."""
    membership = current_membership_for(request, Action.LAUNCH)
    if membership is None:
        messages.info(request, "Choose an account you may create projects in first.")
        return redirect("home")
    rate = _rate(request, membership.requester)
    groups = [
        (
            group,
            [
                {"starter": s, "reward": s.reward(rate), "thumbnail": _thumbnail(s)}
                for s in starters.STARTERS
                if s.group == group
            ],
        )
        for group in starters.GROUPS
    ]
    return render(
        request,
        "batches/gallery.html",
        {
            "requester": membership.requester,
            "groups": groups,
            "rate": rate,
            "default_rate": rate == membership.requester.target_hourly_rate,
            "count": len(starters.STARTERS),
        },
    )


@require_GET
def starter_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A starter before it is chosen: its preview with each example row, what it will set, and
    its example CSV."""
    starter, membership = _starter(request, slug)
    rate = _rate(request, membership.requester)
    rows = _starter_rows(request, starter)
    index = _index(request.GET.get("row"), len(rows))
    columns = list(rows[0]) if rows else []
    gold_columns = set(starter.gold_fields.values())
    return render(
        request,
        "batches/starter.html",
        {
            "starter": starter,
            "rate": rate,
            "reward": starter.reward(rate),
            "thumbnail": _thumbnail(starter),
            "rows": rows,
            "row_index": index,
            "row_numbers": range(1, len(rows) + 1),
            "columns": [(c, c in gold_columns) for c in columns],
            "table": [[(row.get(c, ""), c in gold_columns) for c in columns] for row in rows],
            "fields": _starter_fields(starter, rows[index] if rows else {}),
            "use_url": reverse("batches-project-new") + f"?starter={slug}&rate={rate}",
            "requester": membership.requester,
        },
    )


def _index(asked: str | None, count: int) -> int:
    """A 1-based row number from the query, as a 0-based index within the rows."""
    try:
        number = int(asked or 1)
    except ValueError:
        number = 1
    return min(max(number, 1), max(count, 1)) - 1


def _starter_fields(starter, row: dict) -> list[tuple[str, str, str]]:
    """(answer field, what it is, the question) of each answering element."""
    spec = taskspec.task_spec(starter.template, row)
    return [(e.name, e.tag, e.header) for e in spec.elements]


@require_GET
@xframe_options_sameorigin
def starter_preview(request: HttpRequest, slug: str) -> HttpResponse:
    starter, membership = _starter(request, slug)
    rows = _starter_rows(request, starter)
    index = _index(request.GET.get("row"), len(rows))
    values = rows[index] if rows else {}
    return _frame(request, membership.requester, QuestionKind.HTML, starter.template, values)


@require_GET
def starter_example_csv(request: HttpRequest, slug: str) -> HttpResponse:
    starter, _ = _starter(request, slug)
    response = HttpResponse(_starter_csv(request, starter), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-example.csv"'
    return response


# --- batches -------------------------------------------------------------------------------


@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request)
    if membership is None:
        messages.info(request, "Choose an account first.")
        return redirect("home")
    page = Paginator(
        hourly.batches_with_pay(selectors.batches_for(membership.requester)), 50
    ).get_page(request.GET.get("page"))
    page.object_list = pay_views.batches_pay_attach(
        page.object_list, requester=membership.requester
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
        "balance_after": balance - estimate.total if balance is not None else None,
        "launch_form": LaunchForm(initial={"confirm_total": estimate.total}),
    }


# While any of these can change without anyone on the page acting, the page polls its progress.
_MOVING = (BatchStatus.LAUNCHING, BatchStatus.CANCELLING)


def _batch_live(batch: Batch, counters, running_action: bool) -> bool:
    """True while the progress can still change by itself: a launch or cancel under way, an
    action running, or launched HITs that can still take work or wait for a decision."""
    if running_action or batch.status in _MOVING:
        return True
    if batch.status != BatchStatus.LAUNCHED:
        return False
    # A HIT's counts can reach the mirror before its assignments do: keep following until
    # every assignment MTurk counts is here.
    if counters.submitted or counters.pending or counters.awaited:
        return True
    now = timezone.now()
    return (
        HIT.objects.filter(batch_rows__batch=batch, gone_at__isnull=True, available__gt=0)
        .filter(Q(expiration__isnull=True) | Q(expiration__gt=now))
        .exists()
    )


def _progress_context(batch: Batch, membership) -> dict:
    """What the polled progress fragment shows; only the queries it needs."""
    actions = list(selectors.batch_actions(batch)[:10])
    running_action = any(a.status in (ActionStatus.QUEUED, ActionStatus.RUNNING) for a in actions)
    counters = selectors.batch_counters(batch)
    live = _batch_live(batch, counters, running_action)
    return {
        "batch": batch,
        "requester": batch.requester,
        "can_launch": role_allows(membership.role, Action.LAUNCH),
        "can_exclude": role_allows(membership.role, Action.QUALIFICATIONS),
        "can_message": role_allows(membership.role, Action.WORKERS),
        "progress": selectors.launch_progress(batch),
        "counters": counters,
        "chart": selectors.submissions_chart(batch),
        "failed_rows": selectors.failed_rows(batch)[:200],
        "actions": actions,
        "running_action": running_action,
        "live": live,
        # Fast while HITs are being made or changed, slower while workers work.
        "poll_seconds": 2 if running_action or batch.status in _MOVING else 5,
    }


def _preview_row(batch: Batch, asked: str) -> tuple[int, int]:
    """The row to preview, asked for by its spreadsheet number (the header is row 1): its
    index and its number; the first data row when the number is not one of the batch's."""
    rows = batch.rows.order_by("index").values_list("index", "source_row")
    found = rows.filter(source_row__gte=int(asked)).first() if asked.isdigit() else None
    found = found or rows.first()
    return found if found else (0, 2)


def _batch_context(request: HttpRequest, batch: Batch, membership) -> dict:
    props = services.batch_properties(batch)
    preview_index, preview_row = _preview_row(batch, request.GET.get("row", ""))
    context = _progress_context(batch, membership)
    context.update(
        {
            "props": props,
            "cancel_form": CancelForm(),
            "action_kinds": ActionKind.choices,
            "preview_index": preview_index,
            "preview_row": preview_row,
            "preview_scripts": _uses_scripts(props["question_kind"], props["template"]),
            "raw_variables": templating.raw_variables(props["template"]),
            "gold_missing": gold.gold_columns_missing(batch),
            "hits": Paginator(selectors.batch_hits(batch), 100).get_page(request.GET.get("page")),
        }
    )
    if batch.status in (BatchStatus.VALIDATED, BatchStatus.FAILED):
        context.update(_review_context(batch))
    if batch.status == BatchStatus.INVALID and context["can_launch"]:
        context["upload_form"] = BatchUploadForm(initial={"name": batch.name})
        context["variables"] = templating.variables(props["template"])
    if context["can_exclude"] and batch.hit_type_mturk_id:
        context["exclude_form"] = BatchExcludeForm(batch=batch)
    context.update(_waves_context(batch, membership))
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
    context.update(pay_views.pay_context(membership=membership, project=batch.project, batch=batch))
    return render(request, "batches/detail.html", context)


@require_GET
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment the batch page polls (status, counters, chart, actions); it
    answers without its polling trigger once nothing can change, so the polling stops."""
    batch, membership = _batch(request, pk)
    if not request.htmx:
        return redirect("batches-detail", pk=pk)
    context = _progress_context(batch, membership)
    fragment = render_to_string("batches/detail.html#progress", context, request=request)
    # The heading's status badge and links (results, HITs) follow along, out of band.
    head = render_to_string("batches/detail.html#head", {**context, "oob": True}, request=request)
    return HttpResponse(fragment + head)


def _after(batch: Batch):
    return redirect("batches-detail", pk=batch.pk)


@require_http_methods(["GET", "POST"])
def batch_launch(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the one confirmation before spending (environment, rewards + fee = total, the
    balance); POST from it: the launch, refused when the total is not the one confirmed."""
    batch, membership = _batch(request, pk, Action.LAUNCH)
    if not batch.can_launch:
        messages.error(
            request, f"A batch that is {batch.get_status_display().lower()} cannot launch."
        )
        return _after(batch)
    form = LaunchForm(request.POST if request.method == "POST" else None)
    if request.method == "GET" or not form.is_valid():
        context = _review_context(batch)
        if form.is_bound:
            context["launch_form"] = form
        context.update(batch=batch, requester=batch.requester)
        return render(request, "batches/launch_confirm.html", context)
    try:
        estimate = services.batch_launch(
            membership=membership,
            actor=request.user,
            batch=batch,
            confirm_name=form.cleaned_data.get("confirm_name", ""),
            confirm_total=form.cleaned_data["confirm_total"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except SpendingRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Launching {estimate.hits:,} HITs ({money(estimate.total)} with fees)."
        )
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


# --- gradual release (waves.py) ------------------------------------------------------------


def _waves_context(batch: Batch, membership) -> dict:
    """The batch page's waves section: the plan form before the launch, the waves after."""
    can_launch = role_allows(membership.role, Action.LAUNCH)
    context = {"batch": batch, "can_launch": can_launch, "wave_plan": waves.plan_in_words(batch)}
    if batch.status == BatchStatus.VALIDATED:
        if can_launch:
            initial = {
                "size": batch.wave_size,
                "done_percent": batch.wave_done_percent,
                "every_minutes": batch.wave_every_minutes,
            }
            context["wave_form"] = WavePlanForm(initial=initial, rows=batch.rows.count())
        return context
    if batch.wave_size and batch.waves.exists():
        view = waves.batch_waves_view(batch)
        context["waves"] = view
        context["waves_live"] = bool(view.held) and batch.status in (
            BatchStatus.LAUNCHED,
            BatchStatus.LAUNCHING,
        )
    return context


def _waves_answer(
    request: HttpRequest, batch: Batch, membership, *, done: str = "", refused: str = ""
) -> HttpResponse:
    """The waves section again, saying what happened (htmx), or the batch page at it."""
    if not request.htmx:
        if done:
            messages.success(request, done)
        if refused:
            messages.error(request, refused)
        return redirect(f"{reverse('batches-detail', args=[batch.pk])}#waves")
    batch.refresh_from_db()
    context = _waves_context(batch, membership)
    context.update(wave_done=done, wave_refused=refused)
    return render(request, "batches/_waves.html", context)


@require_GET
def batch_waves(request: HttpRequest, pk: int) -> HttpResponse:
    """The waves section the batch page polls while waves are still to come."""
    batch, membership = _batch(request, pk)
    return _waves_answer(request, batch, membership)


@require_POST
def batch_waves_plan(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    try:
        if "all_at_once" in request.POST:
            waves.batch_waves_plan(
                membership=membership, actor=request.user, batch=batch, size=None
            )
            done = "Every HIT is published at the launch."
        else:
            form = WavePlanForm(request.POST, rows=batch.rows.count())
            if not form.is_valid():
                raise ValidationError([e for errs in form.errors.values() for e in errs])
            waves.batch_waves_plan(
                membership=membership, actor=request.user, batch=batch, **form.cleaned_data
            )
            done = f"Released gradually: {waves.plan_in_words(batch)}"
    except ValidationError as exc:
        return _waves_answer(request, batch, membership, refused=" ".join(exc.messages))
    return _waves_answer(request, batch, membership, done=done)


@require_POST
def batch_waves_pause(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    paused = waves.batch_waves_pause(membership=membership, actor=request.user, batch=batch)
    done = "Paused: no wave goes until you resume." if paused else ""
    return _waves_answer(request, batch, membership, done=done)


@require_POST
def batch_waves_resume(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    resumed = waves.batch_waves_resume(membership=membership, actor=request.user, batch=batch)
    done = "Resumed: the next wave goes when its condition is met." if resumed else ""
    return _waves_answer(request, batch, membership, done=done)


@require_POST
def batch_waves_release(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    after = request.POST.get("after", "")
    try:
        wave = waves.batch_wave_release_now(
            membership=membership,
            actor=request.user,
            batch=batch,
            after=int(after) if after.isdigit() else None,
        )
    except ValidationError as exc:
        return _waves_answer(request, batch, membership, refused=" ".join(exc.messages))
    done = f"Wave {wave.number}: {wave.rows} HIT{'s' if wave.rows != 1 else ''} being published."
    return _waves_answer(request, batch, membership, done=done)


@require_POST
def batch_waves_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    form = CancelForm(request.POST)
    form.is_valid()
    try:
        waves.batch_waves_cancel(
            membership=membership,
            actor=request.user,
            batch=batch,
            expire=form.cleaned_data.get("expire", False),
        )
    except ValidationError as exc:
        return _waves_answer(request, batch, membership, refused=" ".join(exc.messages))
    done = "Cancelled: the HITs still held will never be published."
    return _waves_answer(request, batch, membership, done=done)
