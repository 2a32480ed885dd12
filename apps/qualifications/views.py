from __future__ import annotations

import hashlib
import json
import re

from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from apps.batches import services as batch_services
from apps.batches.forms import BatchExcludeForm
from apps.batches.models import Batch
from apps.batches.previews import questionform_html
from apps.mturk.errors import MTurkError
from apps.qualifications import services
from apps.qualifications.forms import (
    GrantForm,
    GroupAddForm,
    QualificationTypeForm,
    RequestDecisionForm,
)
from apps.qualifications.models import GroupAttachment, QualificationRequest, QualificationType
from apps.qualifications.requirements import (
    requirement_formset,
    requirements_describe,
    system_types,
)
from apps.qualifications.testxml import (
    answer_key_build,
    answer_key_right,
    answers_read,
    qualification_test_check,
    questionform_questions,
)
from apps.requesters.access import current_membership_for, membership_for
from apps.requesters.roles import Action, role_allows

# The test preview is a QuestionForm drawn as HTML in a sandboxed frame with a policy of its own:
# the test's inline styles and https images as a worker would see them, no script at all, and
# no form that can be sent anywhere.
_TEST_FRAME_POLICY = {
    "default-src": ["'none'"],
    "img-src": ["https:", "data:"],
    "style-src": ["'unsafe-inline'", "https:"],
    "font-src": ["https:", "data:"],
    "script-src": ["'none'"],
    "connect-src": ["'none'"],
    "frame-src": ["'none'"],
    "form-action": ["'none'"],
    "frame-ancestors": ["'self'"],
    "sandbox": ["allow-forms", "allow-scripts"],
}
# Tests being edited, kept in the person's session for the frame to show (a QuestionForm is up
# to 64 KB: too long for an address). The last few are kept, for a page open in two tabs.
_PREVIEWS_KEY = "qualification_test_previews"
_PREVIEWS_KEPT = 4
_WORKER_ID = re.compile(r"^A[A-Z0-9]{1,63}$")


def _errors(exc) -> str:
    return " ".join(getattr(exc, "messages", [str(exc)]))


@require_GET
def type_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request)
    if membership is None:
        return redirect("home")
    requester = membership.requester
    types = QualificationType.objects.filter(requester=requester, gone_at__isnull=True).annotate(
        granted=Count("scores", filter=Q(scores__status="Granted"), distinct=True),
        pending=Count("requests", filter=Q(requests__status="Pending"), distinct=True),
    )
    requiring = services.hits_requiring_each(requester)
    return render(
        request,
        "qualifications/list.html",
        {
            "requester": requester,
            "types": [
                {
                    "t": t,
                    "scores": t.granted,
                    "pending": t.pending,
                    "hits": requiring.get(t.mturk_id, 0),
                }
                for t in types
            ],
            "system_types": [(name, type_id) for type_id, name in system_types(requester)],
            "can_manage": role_allows(membership.role, Action.QUALIFICATIONS),
        },
    )


@require_GET
def requirements_builder(request: HttpRequest) -> HttpResponse:
    """Try requirements before a project uses them: who could work, in one sentence, and the
    requirements in MTurk's shape; or why MTurk would refuse them."""
    membership = current_membership_for(request)
    if membership is None:
        return redirect("home")
    bound = "req-TOTAL_FORMS" in request.GET
    formset = requirement_formset(
        request.GET if bound else None, requester=membership.requester, requirements=[]
    )
    context = {"requirements": formset, "requester": membership.requester, "effect": None}
    if bound and formset.is_valid():
        wanted = formset.requirements()
        context["effect"] = requirements_describe(wanted, requester=membership.requester)
        context["wire"] = json.dumps(wanted, indent=2)
    template = "qualifications/requirements.html"
    if request.htmx:
        template += "#effect"
    return render(request, template, context)


def type_create(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request, Action.QUALIFICATIONS)
    if membership is None:
        return redirect("home")
    if request.method == "POST" and request.POST.get("build_key"):
        form = QualificationTypeForm(_with_built_key(request.POST))
        form.is_valid()
        return _form_page(request, form, None)
    form = QualificationTypeForm(
        request.POST or None, initial={"group": request.GET.get("group", "")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            qtype = services.qualification_type_create(
                membership=membership,
                actor=request.user,
                data=form.cleaned_data,
                group=form.cleaned_data["group"],
            )
        except (ValidationError, MTurkError) as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, f"{qtype.name} created.")
            batch = request.GET.get("batch", "")
            if qtype.group and batch.isdigit():
                # Came from a batch's "Exclude its workers": its workers are one click away.
                detail = reverse("qualifications-detail", args=[qtype.pk])
                return redirect(f"{detail}?batch={batch}")
            return redirect("qualifications-detail", pk=qtype.pk)
    return _form_page(request, form, None)


def _form_page(
    request: HttpRequest, form: QualificationTypeForm, qtype: QualificationType | None
) -> HttpResponse:
    return render(
        request,
        "qualifications/form.html",
        {"form": form, "qtype": qtype, **_test_check_context(request, form.data or None, form)},
    )


def _with_built_key(post):
    """The posted form with its answer key written from the right answers chosen per question."""
    data = post.copy()
    questions = questionform_questions(data.get("test", ""), [])
    try:
        points = max(1, min(int(data.get("key_points") or 1), 1000))
    except ValueError:
        points = 1
    right = {q.identifier: data.get(f"right-{q.identifier}", "") for q in questions}
    data["answer_key"] = answer_key_build(questions, right, points)
    return data


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _test_duration(data) -> int | None:
    """The test's time limit in seconds: posted as a number and a unit (or plain seconds), or
    the form's own value."""
    field = QualificationTypeForm.base_fields["test_duration"]
    value = data.get("test_duration")
    if hasattr(data, "getlist"):
        value = field.widget.value_from_datadict(data, {}, "test_duration")
    if not isinstance(value, list | tuple):
        return _int_or_none(value)
    try:
        return field.clean(value)
    except ValidationError:
        return None


def _test_check_context(
    request: HttpRequest, data, form: QualificationTypeForm | None = None
) -> dict:
    """The check shown beside the test editor: errors, or the preview frame and the key's best
    score; `data` is what was posted, or None for the form's initial values."""
    if data is None and form is not None:
        data = {name: form[name].value() for name in form.fields}
    data = data or {}
    test = data.get("test") or ""
    auto_granted = data.get("auto_granted")
    check = qualification_test_check(
        test=test,
        answer_key=data.get("answer_key") or "",
        test_duration=_test_duration(data),
        auto_granted=auto_granted not in (None, False, "", "false", "off"),
    )
    preview_url = None
    if check.previewable:
        digest = hashlib.sha256(test.encode()).hexdigest()[:32]
        kept = {k: v for k, v in request.session.get(_PREVIEWS_KEY, {}).items() if k != digest}
        kept[digest] = test
        request.session[_PREVIEWS_KEY] = dict(list(kept.items())[-_PREVIEWS_KEPT:])
        preview_url = reverse("qualifications-test-preview", args=[digest])
    posted = {q.identifier: data.get(f"right-{q.identifier}", "") for q in check.questions}
    if not any(posted.values()) and check.max_summed is not None:
        posted = answer_key_right(data.get("answer_key") or "")
    key_builder = [(q, posted.get(q.identifier, "")) for q in check.selection_questions]
    return {
        "check": check,
        "has_test": bool(test.strip()),
        "preview_url": preview_url,
        "key_builder": key_builder,
        "key_builder_open": any(chosen for _, chosen in key_builder),
    }


@require_POST
def type_test_check(request: HttpRequest) -> HttpResponse:
    """The editor's live check (htmx): the test's errors, or its preview; the key's errors, or
    its best score. Nothing is saved but the preview, in the person's own session."""
    if current_membership_for(request) is None:
        raise Http404
    return render(
        request, "qualifications/form.html#test-check", _test_check_context(request, request.POST)
    )


@require_GET
@xframe_options_sameorigin
@csp_replace(_TEST_FRAME_POLICY)
def type_test_preview(request: HttpRequest, digest: str) -> HttpResponse:
    """The frame's document: a test this person is editing, drawn as workers see it."""
    test = request.session.get(_PREVIEWS_KEY, {}).get(digest)
    if test is None:
        return HttpResponse(
            "<!DOCTYPE html><p>This preview is no longer kept: edit the test to see it again.</p>",
            content_type="text/html; charset=utf-8",
            status=404,
        )
    return HttpResponse(questionform_html(test), content_type="text/html; charset=utf-8")


def _type_for(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> HttpResponse:
    qtype = get_object_or_404(QualificationType, pk=pk)
    return membership_for(user=request.user, requester_id=qtype.requester_id, action=action), qtype


@require_GET
def type_detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership, qtype = _type_for(request, pk)
    return render(
        request,
        "qualifications/detail.html",
        {
            "qtype": qtype,
            "scores": qtype.scores.order_by("-granted_at")[:500],
            "requests": [
                (r, answers_read(r.answer))
                for r in qtype.requests.filter(status="Pending").order_by("submitted_at")
            ],
            "hits": services.hits_requiring(qtype),
            "can_manage": role_allows(membership.role, Action.QUALIFICATIONS),
            "can_sync": role_allows(membership.role, Action.SYNC),
            "group_form": GroupAddForm(
                requester=membership.requester, initial=_group_initial(request)
            ),
            "requirement": services.group_requirement(qtype)
            if qtype.group in ("exclude", "include")
            else None,
            "guards": qtype.guards.select_related("batch") if qtype.group == "guard" else [],
            "attachments": qtype.attachments.select_related("batch"),
        },
    )


def _group_initial(request: HttpRequest) -> dict:
    """A batch named in the address (from its "Exclude its workers") comes chosen."""
    batch = request.GET.get("batch", "")
    return {"batch": batch, "attach": True} if batch.isdigit() else {}


def type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership, qtype = _type_for(request, pk, Action.QUALIFICATIONS)
    if qtype.status == "Disposing":
        messages.error(request, f"{qtype.name} is deleted: MTurk is disposing of it.")
        return redirect("qualifications-detail", pk=qtype.pk)
    initial = {
        "name": qtype.name,
        "description": qtype.description,
        "keywords": qtype.keywords,
        "status": qtype.status if qtype.status in {"Active", "Inactive"} else "Active",
        "retry_delay": qtype.retry_delay,
        "test": qtype.test,
        "test_duration": qtype.test_duration,
        "answer_key": qtype.answer_key,
        "auto_granted": qtype.auto_granted,
        "auto_granted_value": qtype.auto_granted_value,
        "group": qtype.group,
    }
    if request.method == "POST" and request.POST.get("build_key"):
        form = QualificationTypeForm(_with_built_key(request.POST), initial=initial)
        form.fields["name"].disabled = True
        form.is_valid()
        return _form_page(request, form, qtype)
    form = QualificationTypeForm(request.POST or None, initial=initial)
    form.fields["name"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.qualification_type_update(
                membership=membership, actor=request.user, qtype=qtype, data=form.cleaned_data
            )
        except (ValidationError, MTurkError) as exc:
            form.add_error(None, _errors(exc))
        else:
            QualificationType.objects.filter(pk=qtype.pk).update(group=form.cleaned_data["group"])
            messages.success(request, "Saved.")
            return redirect("qualifications-detail", pk=qtype.pk)
    return _form_page(request, form, qtype)


@require_POST
def type_delete(request: HttpRequest, pk: int) -> HttpResponse:
    membership, qtype = _type_for(request, pk, Action.QUALIFICATIONS)
    try:
        services.qualification_type_delete(membership=membership, actor=request.user, qtype=qtype)
        messages.success(request, f"{qtype.name} is being disposed of by MTurk.")
    except MTurkError as exc:
        messages.error(request, _errors(exc))
    return redirect("qualifications-detail", pk=qtype.pk)


@require_POST
def score_grant(request: HttpRequest, pk: int) -> HttpResponse:
    membership, qtype = _type_for(request, pk, Action.QUALIFICATIONS)
    form = GrantForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Give a worker id and a value.")
        if request.POST.get("revoke"):
            services.worker_score_revoke(
                membership=membership,
                actor=request.user,
                worker_id=form.cleaned_data["worker_id"],
                qualification_type=qtype,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, "Revoked.")
        else:
            services.worker_score_set(
                membership=membership,
                actor=request.user,
                worker_id=form.cleaned_data["worker_id"],
                qualification_type=qtype,
                value=form.cleaned_data["value"],
            )
            messages.success(request, "Granted.")
    except (ValidationError, MTurkError) as exc:
        messages.error(request, _errors(exc))
    return redirect("qualifications-detail", pk=qtype.pk)


@require_POST
def scores_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    membership, qtype = _type_for(request, pk, Action.SYNC)
    try:
        held = services.qualification_scores_refresh(membership=membership, qtype=qtype)
    except MTurkError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(
            request, f"Read from MTurk: {held} worker{'s' if held != 1 else ''} hold {qtype.name}."
        )
    return redirect("qualifications-detail", pk=qtype.pk)


@require_POST
def scores_upload(request: HttpRequest, pk: int) -> HttpResponse:
    membership, qtype = _type_for(request, pk, Action.QUALIFICATIONS)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a CSV file with WorkerId and Value columns.")
        return redirect("qualifications-detail", pk=qtype.pk)
    try:
        result = services.scores_csv_apply(
            membership=membership, actor=request.user, qtype=qtype, upload=upload
        )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("qualifications-detail", pk=qtype.pk)
    messages.success(
        request, f"{result.applied} score{'s' if result.applied != 1 else ''} granted."
    )
    for error in result.errors[:50]:
        messages.error(request, f"Row {error['row']}: {error['error']}")
    return redirect("qualifications-detail", pk=qtype.pk)


@require_POST
def request_decide(request: HttpRequest, pk: int, request_pk: int) -> HttpResponse:
    membership, qtype = _type_for(request, pk, Action.QUALIFICATIONS)
    qrequest = get_object_or_404(QualificationRequest, pk=request_pk, qualification_type=qtype)
    form = RequestDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "The value must be a whole number; the reason 1,024 characters at most."
        )
        return redirect("qualifications-detail", pk=qtype.pk)
    try:
        if request.POST.get("decision") == "accept":
            services.qualification_request_accept(
                membership=membership,
                actor=request.user,
                request=qrequest,
                value=form.cleaned_data.get("value"),
            )
            messages.success(request, f"{qrequest.worker_id} accepted.")
        else:
            services.qualification_request_reject(
                membership=membership,
                actor=request.user,
                request=qrequest,
                reason=form.cleaned_data.get("reason", ""),
            )
            messages.success(request, f"{qrequest.worker_id} rejected.")
    except MTurkError as exc:
        messages.error(request, _errors(exc))
    return redirect("qualifications-detail", pk=qtype.pk)


@require_POST
def group_add(request: HttpRequest, pk: int) -> HttpResponse:
    membership, qtype = _type_for(request, pk, Action.QUALIFICATIONS)
    form = GroupAddForm(request.POST, requester=membership.requester)
    if not form.is_valid():
        messages.error(request, "Choose a batch or a HIT type of this account, or list worker ids.")
        return redirect("qualifications-detail", pk=qtype.pk)
    tokens = [t for t in re.split(r"[\s,;]+", form.cleaned_data.get("workers") or "") if t]
    malformed = [t for t in tokens if not _WORKER_ID.match(t.upper())]
    if malformed:
        shown = ", ".join(malformed[:10]) + (" …" if len(malformed) > 10 else "")
        messages.error(request, f"Not worker ids (like A1B2C3D4E5F6G7): {shown}. Nobody was added.")
        return redirect("qualifications-detail", pk=qtype.pk)
    workers = [t.upper() for t in tokens]
    batch = form.cleaned_data.get("batch")
    if batch is not None:
        workers += services.workers_of_batch(batch)
        if form.cleaned_data.get("attach"):
            GroupAttachment.objects.get_or_create(qualification_type=qtype, batch=batch)
            messages.success(
                request, f"Whoever submits to {batch.name} from now on joins {qtype.name}."
            )
    if form.cleaned_data.get("hit_type"):
        workers += services.workers_of_hit_type(
            requester=membership.requester, hit_type_mturk_id=form.cleaned_data["hit_type"].mturk_id
        )
    if not workers:
        if not (batch is not None and form.cleaned_data.get("attach")):
            messages.error(request, "Choose a batch or a HIT type, or list worker ids.")
        return redirect("qualifications-detail", pk=qtype.pk)
    result = services.group_add_workers(
        membership=membership, actor=request.user, qtype=qtype, worker_ids=workers
    )
    messages.success(
        request, f"{result.applied} worker{'s' if result.applied != 1 else ''} in {qtype.name}."
    )
    for error in result.errors[:50]:
        messages.error(request, f"{error['worker']}: {error['error']}")
    return redirect("qualifications-detail", pk=qtype.pk)


@require_POST
def batch_exclude(request: HttpRequest, pk: int) -> HttpResponse:
    """A batch page's one click: every worker who submitted to the batch joins an exclusion
    group (the batch's own, made the first time, or one chosen), and so does whoever submits
    to it later."""
    batch = get_object_or_404(Batch.objects.select_related("requester", "project"), pk=pk)
    membership = membership_for(
        user=request.user, requester_id=batch.requester_id, action=Action.QUALIFICATIONS
    )
    back = f"{reverse('batches-detail', args=[batch.pk])}#exclude"
    form = BatchExcludeForm(request.POST, batch=batch)
    if not form.is_valid():
        messages.error(request, "Choose one of this account's exclusion groups.")
        return redirect(back)
    try:
        qtype, result = batch_services.batch_workers_exclude(
            membership=membership,
            actor=request.user,
            batch=batch,
            qtype=form.cleaned_data["group"],
        )
    except (ValidationError, MTurkError) as exc:
        messages.error(request, _errors(exc))
        return redirect(back)
    added = result.applied
    messages.success(
        request,
        f"{added} worker{'s' if added != 1 else ''} added to {qtype.name}; whoever submits to "
        f"{batch.name} from now on joins it too.",
    )
    for error in result.errors[:50]:
        messages.error(request, f"{error['worker']}: {error['error']}")
    return redirect(back)
