"""Quality: workers' quality over a HIT type (crowd-kit) or a batch (with gold accuracy), a
batch's review section (suggestions and automatic rules, beside its bonuses by rule), and
qualification scores set from those figures."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.batches.gold import gold_columns_missing
from apps.batches.models import Batch
from apps.hits.models import HITType
from apps.requesters.access import current_membership_for, membership_for
from apps.requesters.models import Membership
from apps.requesters.roles import Action, role_allows
from apps.review.bonuses.by_rule import MODES as BONUS_MODES
from apps.review.decisions.bulk import ConfirmationRequired
from apps.review.models import AutoReviewRule, RedundancyRule, ScoreUpdate
from apps.review.quality import crowd, redundancy, rules, scores
from apps.review.quality import gold as gold_service
from apps.review.quality.forms import RedundancyForm, RuleForm, ScoreSourceForm
from mturkdash.exports import csv_response


def _errors(form: forms.Form) -> str:
    return "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())


def _batch(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> tuple[Batch, Membership]:
    batch = get_object_or_404(Batch.objects.select_related("requester", "project"), pk=pk)
    return batch, membership_for(user=request.user, requester_id=batch.requester_id, action=action)


def _rule(request: HttpRequest, pk: int) -> tuple[AutoReviewRule, Membership]:
    rule = get_object_or_404(
        AutoReviewRule.objects.select_related("batch", "batch__project", "requester"), pk=pk
    )
    return rule, membership_for(
        user=request.user, requester_id=rule.requester_id, action=Action.LAUNCH
    )


def _section_context(batch: Batch, membership: Membership, **extra) -> dict:
    return {
        "batch": batch,
        "suggestions": rules.batch_suggestions(batch),
        "rules": list(batch.review_rules.all()),
        "rule_kinds": AutoReviewRule.Kind.choices,
        "bonus_modes": BONUS_MODES,
        "can_manage": role_allows(membership.role, Action.LAUNCH),
        "can_bonus": role_allows(membership.role, Action.BONUS),
        "reject_max": rules.reject_max_per_run(),
        **extra,
    }


def _section(
    request: HttpRequest,
    batch: Batch,
    membership: Membership,
    *,
    notice: str = "",
    error: str = "",
) -> HttpResponse:
    """The batch page's review section (HTMX), or back to the batch page with a message."""
    if request.htmx:
        context = _section_context(batch, membership, notice=notice, error=error)
        return render(request, "review/batch_review.html#section", context)
    if error:
        messages.error(request, error)
    elif notice:
        messages.success(request, notice)
    return redirect(reverse("review-batch", args=[batch.pk]))


@require_GET
def quality(request: HttpRequest) -> HttpResponse:
    membership = current_membership_for(request)
    if membership is None:
        return redirect("home")
    if request.GET.get("batch", "").isdigit():
        return redirect("review-batch-quality", pk=int(request.GET["batch"]))
    hit_types = HITType.objects.filter(requester=membership.requester).order_by("title")
    chosen = (
        hit_types.filter(pk=request.GET.get("hit_type")).first()
        if request.GET.get("hit_type", "").isdigit()
        else None
    )
    method = (
        request.GET.get("method") if request.GET.get("method") in crowd.METHODS else "dawid_skene"
    )
    report = (
        crowd.worker_quality(
            requester=membership.requester, hit_type_mturk_id=chosen.mturk_id, method=method
        )
        if chosen
        else None
    )
    if report is not None and request.GET.get("format") == "csv":
        rows = (
            [hit, name, label, "" if conf is None else f"{conf:.4f}"]
            for hit, fields in sorted(report.answers.items())
            for name, (label, conf) in sorted(fields.items())
        )
        return csv_response(
            f"aggregated-{chosen.mturk_id}.csv", ["HITId", "Field", "Answer", "Confidence"], rows
        )
    return render(
        request,
        "review/quality.html",
        {
            "hit_types": hit_types,
            "batches": Batch.objects.filter(requester=membership.requester)
            .exclude(hit_type_mturk_id="")
            .order_by("-created_at")[:200],
            "chosen": chosen,
            "method": method,
            "methods": crowd.METHODS,
            "report": report,
        },
    )


@require_GET
def batch_review(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk)
    context = _section_context(batch, membership)
    if request.htmx:
        return render(request, "review/batch_review.html#section", context)
    return render(request, "review/batch_review.html", context)


@require_POST
def rule_create(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    form = RuleForm(request.POST)
    if not form.is_valid():
        return _section(request, batch, membership, error=_errors(form))
    data = form.cleaned_data
    try:
        rule = rules.rule_create(
            membership=membership,
            actor=request.user,
            batch=batch,
            kind=data["kind"],
            threshold=data.get("threshold"),
            min_gold=data.get("min_gold") or 1,
            days=data.get("days"),
            feedback=data.get("feedback") or "",
            confirmed=request.POST.get("confirmed") == "1",
        )
    except ConfirmationRequired as exc:
        post = [
            (k, v)
            for k in request.POST
            for v in request.POST.getlist(k)
            if k not in {"csrfmiddlewaretoken", "confirmed"}
        ]
        if request.htmx:
            context = _section_context(
                batch, membership, confirm={"message": str(exc), "post": post}
            )
            return render(request, "review/batch_review.html#section", context)
        return render(
            request,
            "review/confirm.html",
            {"message": str(exc), "post": post, "action_url": request.path},
        )
    except ValidationError as exc:
        return _section(request, batch, membership, error=" ".join(exc.messages))
    return _section(request, batch, membership, notice=f"Rule added: {rule.describe()}.")


@require_POST
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    rule, membership = _rule(request, pk)
    rule = rules.rule_set_enabled(
        membership=membership, actor=request.user, rule=rule, enabled=not rule.enabled
    )
    state = "on" if rule.enabled else "off"
    return _section(request, rule.batch, membership, notice=f"Rule {state}: {rule.describe()}.")


@require_POST
def rule_delete(request: HttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    rule = AutoReviewRule.objects.filter(batch=batch, pk=rule_pk).first()
    if rule is None:  # a second click, or someone else removed it first
        return _section(request, batch, membership, notice="This rule was already removed.")
    rules.rule_delete(membership=membership, actor=request.user, rule=rule)
    return _section(request, batch, membership, notice="Rule removed.")


@require_GET
def batch_quality(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk)
    method = request.GET.get("method")
    method = method if method in crowd.METHODS else "dawid_skene"
    report = crowd.worker_quality(requester=batch.requester, batch=batch, method=method)
    has_gold = bool(batch.project.gold_fields)
    gold = gold_service.gold_refresh(batch) if has_gold else {}
    can_score = role_allows(membership.role, Action.QUALIFICATIONS)
    return render(
        request,
        "review/batch_quality.html",
        {
            "batch": batch,
            "method": method,
            "methods": crowd.METHODS,
            "report": report,
            "rows": [(w, gold.get(w.worker_id)) for w in report.workers],
            "has_gold": has_gold,
            "gold_missing": gold_columns_missing(batch),
            "can_score": can_score,
            "score_form": ScoreSourceForm(requester=batch.requester, initial={"method": method})
            if can_score
            else None,
        },
    )


@require_POST
def score_update_create(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.QUALIFICATIONS)
    form = ScoreSourceForm(request.POST, requester=batch.requester)
    if not form.is_valid():
        messages.error(request, f"Choose a qualification and a source. {_errors(form)}")
        return redirect("review-batch-quality", pk=batch.pk)
    try:
        update = scores.score_update_preview(
            membership=membership,
            actor=request.user,
            batch=batch,
            qualification_type=form.cleaned_data["qualification_type"],
            source=form.cleaned_data["source"],
            method=form.cleaned_data.get("method") or "dawid_skene",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("review-batch-quality", pk=batch.pk)
    return redirect("review-score-update", pk=update.pk)


def _update(
    request: HttpRequest, pk: int, action: Action = Action.VIEW
) -> tuple[ScoreUpdate, Membership]:
    update = get_object_or_404(
        ScoreUpdate.objects.select_related("batch", "qualification_type", "requester"), pk=pk
    )
    return update, membership_for(
        user=request.user, requester_id=update.requester_id, action=action
    )


@require_GET
def score_update_detail(request: HttpRequest, pk: int) -> HttpResponse:
    update, membership = _update(request, pk)
    context = {
        "update": update,
        "progress": scores.score_update_progress(update),
        "can_apply": role_allows(membership.role, Action.QUALIFICATIONS),
    }
    if request.htmx:
        return render(request, "review/score_update.html#status", context)
    return render(request, "review/score_update.html", context)


@require_POST
def score_update_apply(request: HttpRequest, pk: int) -> HttpResponse:
    update, membership = _update(request, pk, Action.QUALIFICATIONS)
    try:
        started = scores.score_update_apply(
            membership=membership, actor=request.user, update=update
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        if started:
            messages.success(request, f"Setting {len(update.changes)} scores.")
    return redirect("review-score-update", pk=update.pk)


# --- adaptive redundancy -------------------------------------------------------------------

PLAN_SHOWN = 50


def _redundancy_page(
    request: HttpRequest, batch: Batch, membership: Membership, form: RedundancyForm
) -> HttpResponse:
    plan = None
    if form.is_bound and form.is_valid():
        plan = redundancy.redundancy_plan(batch, **form.settings())
    rule = RedundancyRule.objects.filter(batch=batch).first()
    return render(
        request,
        "review/redundancy.html",
        {
            "batch": batch,
            "form": form,
            "plan": plan,
            "shown": plan.candidates[:PLAN_SHOWN] if plan else [],
            "rule": rule,
            "can_manage": role_allows(membership.role, Action.LAUNCH),
        },
    )


@require_GET
def batch_redundancy(request: HttpRequest, pk: int) -> HttpResponse:
    """Which HITs disagree, what asking them again adds and costs; the batch's rule."""
    batch, membership = _batch(request, pk)
    rule = RedundancyRule.objects.filter(batch=batch).first()
    if request.GET.get("threshold"):
        form = RedundancyForm(request.GET)
    else:
        initial = {}
        if rule is not None:
            initial = {
                "threshold": round(rule.threshold * 100),
                "extra": rule.extra,
                "max_per_hit": rule.max_per_hit,
                "cost_cap": rule.cost_cap,
            }
        form = RedundancyForm(initial=initial)
    return _redundancy_page(request, batch, membership, form)


@require_POST
def redundancy_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Add the plan's assignments, when it still adds and costs what the person was shown."""
    batch, membership = _batch(request, pk, Action.LAUNCH)
    form = RedundancyForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Check the settings. {_errors(form)}")
        return _redundancy_page(request, batch, membership, form)
    plan = redundancy.redundancy_plan(batch, **form.settings())
    shown = (request.POST.get("expected_assignments"), request.POST.get("expected_total"))
    if shown != (str(plan.assignments), f"{plan.total:.2f}"):
        messages.warning(
            request,
            f"The answers changed since you looked: it now adds {plan.assignments} assignments "
            f"for ${plan.total:.2f}. Check the plan and confirm again.",
        )
        return _redundancy_page(request, batch, membership, form)
    try:
        redundancy.redundancy_apply(
            membership=membership, actor=request.user, batch=batch, plan=plan
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return _redundancy_page(request, batch, membership, form)
    messages.success(
        request,
        f"Adding {plan.assignments} assignments to {plan.hits} HITs for ${plan.total:.2f} "
        "(rewards and fees). The new answers join the aggregated results as they come in.",
    )
    return redirect("batches-detail", pk=batch.pk)


@require_POST
def redundancy_rule_save(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    form = RedundancyForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Check the settings. {_errors(form)}")
        return _redundancy_page(request, batch, membership, form)
    try:
        rule = redundancy.rule_save(
            membership=membership, actor=request.user, batch=batch, **form.settings()
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return _redundancy_page(request, batch, membership, form)
    messages.success(request, f"Rule saved: {rule.describe()}. It runs every few minutes.")
    return redirect("review-batch-redundancy", pk=batch.pk)


@require_POST
def redundancy_rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    batch, membership = _batch(request, pk, Action.LAUNCH)
    rule = get_object_or_404(RedundancyRule, batch=batch)
    redundancy.rule_set_enabled(
        membership=membership, actor=request.user, rule=rule, enabled=not rule.enabled
    )
    messages.success(request, f"Rule {'off' if rule.enabled else 'on'}: {rule.describe()}.")
    return redirect("review-batch-redundancy", pk=batch.pk)
