from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.mturk.errors import MTurkError
from apps.qualifications import services
from apps.qualifications.forms import (
    GrantForm,
    GroupAddForm,
    QualificationTypeForm,
    RequestDecisionForm,
)
from apps.qualifications.models import GroupAttachment, QualificationRequest, QualificationType
from apps.qualifications.requirements import system_types
from apps.requesters.roles import Action, role_allows
from apps.requesters.selectors import current_membership_for, membership_for
from apps.workers.services import worker_score_revoke, worker_score_set


def _errors(exc) -> str:
    return " ".join(getattr(exc, "messages", [str(exc)]))


@require_GET
def type_list(request):
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


def type_create(request):
    membership = current_membership_for(request, Action.QUALIFICATIONS)
    if membership is None:
        return redirect("home")
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
            return redirect("qualifications-detail", pk=qtype.pk)
    return render(request, "qualifications/form.html", {"form": form, "qtype": None})


def _type_for(request, pk: int, action: Action = Action.VIEW):
    qtype = get_object_or_404(QualificationType, pk=pk)
    return membership_for(user=request.user, requester_id=qtype.requester_id, action=action), qtype


@require_GET
def type_detail(request, pk: int):
    membership, qtype = _type_for(request, pk)
    return render(
        request,
        "qualifications/detail.html",
        {
            "qtype": qtype,
            "scores": qtype.scores.order_by("-granted_at")[:500],
            "requests": qtype.requests.filter(status="Pending").order_by("submitted_at"),
            "hits": services.hits_requiring(qtype),
            "can_manage": role_allows(membership.role, Action.QUALIFICATIONS),
            "group_form": GroupAddForm(requester=membership.requester),
            "requirement": services.group_requirement(qtype) if qtype.group else None,
            "attachments": qtype.attachments.select_related("batch"),
        },
    )


def type_edit(request, pk: int):
    membership, qtype = _type_for(request, pk, Action.QUALIFICATIONS)
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
    return render(request, "qualifications/form.html", {"form": form, "qtype": qtype})


@require_POST
def type_delete(request, pk: int):
    membership, qtype = _type_for(request, pk, Action.QUALIFICATIONS)
    try:
        services.qualification_type_delete(membership=membership, actor=request.user, qtype=qtype)
        messages.success(request, f"{qtype.name} is being disposed of by MTurk.")
    except MTurkError as exc:
        messages.error(request, _errors(exc))
    return redirect("qualifications-detail", pk=qtype.pk)


@require_POST
def score_grant(request, pk: int):
    membership, qtype = _type_for(request, pk, Action.QUALIFICATIONS)
    form = GrantForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError("Give a worker id and a value.")
        if request.POST.get("revoke"):
            worker_score_revoke(
                membership=membership,
                actor=request.user,
                worker_id=form.cleaned_data["worker_id"],
                qualification_type=qtype,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, "Revoked.")
        else:
            worker_score_set(
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
def scores_upload(request, pk: int):
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
def request_decide(request, pk: int, request_pk: int):
    membership, qtype = _type_for(request, pk, Action.QUALIFICATIONS)
    qrequest = get_object_or_404(QualificationRequest, pk=request_pk, qualification_type=qtype)
    form = RequestDecisionForm(request.POST)
    form.is_valid()
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
def group_add(request, pk: int):
    membership, qtype = _type_for(request, pk, Action.QUALIFICATIONS)
    form = GroupAddForm(request.POST, requester=membership.requester)
    form.is_valid()
    workers = re.findall(r"A[A-Z0-9]+", (form.cleaned_data.get("workers") or "").upper())
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
    try:
        result = services.group_add_workers(
            membership=membership, actor=request.user, qtype=qtype, worker_ids=workers
        )
    except MTurkError as exc:
        messages.error(request, _errors(exc))
        return redirect("qualifications-detail", pk=qtype.pk)
    messages.success(
        request, f"{result.applied} worker{'s' if result.applied != 1 else ''} in {qtype.name}."
    )
    return redirect("qualifications-detail", pk=qtype.pk)
