"""The study pages: the list, the form, a study with its codes, publishing, approval of valid
codes. Every view checks the person's role in the study's account (404 for another account)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from apps.batches import starters
from apps.batches.services import CsvRefused
from apps.mturk.errors import MTurkError
from apps.requesters import crypto
from apps.requesters.access import current_membership_for, membership_for
from apps.requesters.roles import Action, role_allows
from apps.studies import selectors, services
from apps.studies.forms import PublishForm, StudyForm
from apps.studies.models import CodeMode, Study

SECRET_KEY = "studies-new-secret"
# The gallery's starter whose way in is a new study.
SURVEY_STARTER = "survey-link"


def _study(request: HttpRequest, pk: int, action: Action = Action.VIEW):
    study = get_object_or_404(
        Study.objects.select_related("project", "project__requester", "exclusion_group"), pk=pk
    )
    membership = membership_for(
        user=request.user, requester_id=study.project.requester_id, action=action
    )
    return study, membership


@login_required
@require_GET
def study_list(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request, Action.VIEW)
    if membership is None:
        return redirect("home")
    studies = (
        Study.objects.filter(project__requester=membership.requester)
        .select_related("project")
        .order_by("-created_at")
    )
    return render(
        request,
        "studies/list.html",
        {
            "studies": studies,
            "membership": membership,
            "can_manage": role_allows(membership.role, Action.LAUNCH),
        },
    )


@login_required
def study_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    study = None
    if pk is None:
        membership = current_membership_for(request, Action.LAUNCH)
        if membership is None:
            return redirect("home")
    else:
        study, membership = _study(request, pk, Action.LAUNCH)
    initial = None
    starter = starters.starter_get(request.GET.get("starter", "")) if study is None else None
    if starter is not None and starter.slug == SURVEY_STARTER:
        # The gallery's "Survey link" starter comes here: its words, its time, its pay at the
        # account's hourly rate.
        rate = membership.requester.target_hourly_rate or starters.DEFAULT_HOURLY_RATE
        initial = {
            "title": starter.title,
            "description": starter.description,
            "minutes": max(1, round(starter.work_seconds / 60)),
            "reward": starter.reward(rate),
        }
    if study is not None:
        project = study.project
        initial = {
            "name": project.name,
            "title": project.title,
            "description": project.description,
            "survey_url": study.survey_url,
            "worker_param": study.worker_param,
            "assignment_param": study.assignment_param,
            "minutes": study.minutes,
            "reward": project.reward,
            "code_mode": study.code_mode,
            "fixed_code": study.fixed_code,
        }
    form = StudyForm(
        request.POST or None,
        initial=initial,
        requester=membership.requester,
        own_group=study.exclusion_group if study else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            study, secret = services.study_save(
                membership=membership,
                actor=request.user,
                data=form.cleaned_data,
                study=study,
                codes=form.codes,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except MTurkError as exc:
            form.add_error(None, f"MTurk refused the study's exclusion group: {exc}")
        else:
            if secret:
                # Sessions live in the database: even for one redirect, the secret goes there
                # encrypted, as the study keeps it.
                request.session[SECRET_KEY] = {"study": study.pk, "secret": crypto.encrypt(secret)}
            messages.success(request, f"Study {study.project.name} saved.")
            return redirect("studies-detail", pk=study.pk)
    return render(request, "studies/form.html", {"form": form, "study": study})


@login_required
@require_GET
def study_detail(request: HttpRequest, pk: int) -> HttpResponse:
    study, membership = _study(request, pk)
    services.study_codes_check(study=study)
    can_manage = role_allows(membership.role, Action.LAUNCH)
    shown = request.session.get(SECRET_KEY) or {}
    secret = ""
    if can_manage and shown.get("study") == study.pk:
        # Shown once, right after it was made: from then on only kept encrypted.
        secret = crypto.decrypt(shown["secret"]) if shown.get("secret") else ""
        del request.session[SECRET_KEY]
    return render(
        request,
        "studies/detail.html",
        {
            "study": study,
            "project": study.project,
            "summary": selectors.study_summary(study),
            "set_aside": selectors.set_aside(study),
            "batches": study.project.batches.order_by("-created_at"),
            "can_manage": can_manage,
            "secret": secret,
            "publish_form": PublishForm() if can_manage else None,
            "hmac": study.code_mode == CodeMode.HMAC,
            "secret_mask": services.study_secret_mask(study) if can_manage else "",
        },
    )


@login_required
@require_POST
def study_publish(request: HttpRequest, pk: int) -> HttpResponse:
    study, membership = _study(request, pk, Action.LAUNCH)
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say how many participants: 1 to 100,000.")
        return redirect("studies-detail", pk=study.pk)
    try:
        batch = services.study_publish(
            membership=membership,
            actor=request.user,
            study=study,
            participants=form.cleaned_data["participants"],
            name=form.cleaned_data["name"],
        )
    except CsvRefused as exc:
        messages.error(request, " ".join(exc.report.get("errors") or ["The study has errors."]))
        return redirect("studies-detail", pk=study.pk)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("studies-detail", pk=study.pk)
    messages.success(
        request,
        f"Batch {batch.name} made for {form.cleaned_data['participants']:,} participants: "
        "check its cost and launch it.",
    )
    return redirect("batches-detail", pk=batch.pk)


@login_required
@require_POST
def study_auto_approve(request: HttpRequest, pk: int) -> HttpResponse:
    study, membership = _study(request, pk, Action.LAUNCH)
    enabled = request.POST.get("enabled") == "1"
    services.study_auto_approve_set(
        membership=membership, actor=request.user, study=study, enabled=enabled
    )
    if enabled:
        approved = services.study_auto_approve_run(study=study)
        messages.success(
            request,
            f"Assignments with a valid code are approved as they come in ({approved} now).",
        )
    else:
        messages.success(request, "Valid codes now wait for a person too.")
    return redirect("studies-detail", pk=study.pk)
