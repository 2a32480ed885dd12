"""Review of one batch: suggestions and automatic rules, bonuses by rule, worker quality with
gold accuracy, and qualification scores set from those figures."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.batches.models import Batch
from apps.qualifications.models import QualificationType
from apps.requesters.roles import Action, role_allows
from apps.requesters.selectors import membership_for
from apps.review import batch_bonus, rules, scores
from apps.review import gold as gold_service
from apps.review import quality as quality_service
from apps.review.bulk import ConfirmationRequired
from apps.review.models import AutoReviewRule, ScoreUpdate


class RuleForm(forms.Form):
    kind = forms.ChoiceField(choices=AutoReviewRule.Kind.choices)
    threshold = forms.IntegerField(required=False, min_value=0, max_value=100)
    min_gold = forms.IntegerField(required=False, min_value=1, initial=3)
    days = forms.IntegerField(required=False, min_value=1, max_value=rules.MAX_DAYS)
    feedback = forms.CharField(required=False, max_length=1024)


class BatchBonusForm(forms.Form):
    mode = forms.ChoiceField(choices=list(batch_bonus.MODES.items()))
    amount = forms.CharField(max_length=12)
    reason = forms.CharField(max_length=1024)


class ScoreSourceForm(forms.Form):
    qualification_type = forms.ModelChoiceField(queryset=QualificationType.objects.none())
    source = forms.ChoiceField(choices=ScoreUpdate.Source.choices)
    method = forms.ChoiceField(
        required=False, choices=list(quality_service.METHODS.items()), initial="dawid_skene"
    )

    def __init__(self, *args, requester, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qualification_type"].queryset = QualificationType.objects.filter(
            requester=requester, gone_at=None, status="Active"
        ).order_by("name")


def _errors(form: forms.Form) -> str:
    return "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())


def _batch(request, pk: int, action: Action = Action.VIEW):
    batch = get_object_or_404(Batch.objects.select_related("requester", "project"), pk=pk)
    return batch, membership_for(user=request.user, requester_id=batch.requester_id, action=action)


def _rule(request, pk: int):
    rule = get_object_or_404(
        AutoReviewRule.objects.select_related("batch", "batch__project", "requester"), pk=pk
    )
    return rule, membership_for(
        user=request.user, requester_id=rule.requester_id, action=Action.LAUNCH
    )


def _section_context(batch: Batch, membership, **extra) -> dict:
    return {
        "batch": batch,
        "suggestions": rules.batch_suggestions(batch),
        "rules": list(batch.review_rules.all()),
        "rule_kinds": AutoReviewRule.Kind.choices,
        "bonus_modes": batch_bonus.MODES,
        "can_manage": role_allows(membership.role, Action.LAUNCH),
        "can_bonus": role_allows(membership.role, Action.BONUS),
        "reject_max": rules.reject_max_per_run(),
        **extra,
    }


def _section(request, batch: Batch, membership, *, notice: str = "", error: str = ""):
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
def batch_review(request, pk: int):
    batch, membership = _batch(request, pk)
    context = _section_context(batch, membership)
    if request.htmx:
        return render(request, "review/batch_review.html#section", context)
    return render(request, "review/batch_review.html", context)


@require_POST
def rule_create(request, pk: int):
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
def rule_toggle(request, pk: int):
    rule, membership = _rule(request, pk)
    rule = rules.rule_set_enabled(
        membership=membership, actor=request.user, rule=rule, enabled=not rule.enabled
    )
    state = "on" if rule.enabled else "off"
    return _section(request, rule.batch, membership, notice=f"Rule {state}: {rule.describe()}.")


@require_POST
def rule_delete(request, pk: int, rule_pk: int):
    batch, membership = _batch(request, pk, Action.LAUNCH)
    rule = AutoReviewRule.objects.filter(batch=batch, pk=rule_pk).first()
    if rule is None:  # a second click, or someone else removed it first
        return _section(request, batch, membership, notice="This rule was already removed.")
    rules.rule_delete(membership=membership, actor=request.user, rule=rule)
    return _section(request, batch, membership, notice="Rule removed.")


@require_POST
def batch_bonus_create(request, pk: int):
    batch, membership = _batch(request, pk, Action.BONUS)
    form = BatchBonusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how to count, an amount and a reason for the workers.")
        return redirect("review-batch", pk=batch.pk)
    try:
        bonus_batch = batch_bonus.batch_bonus_build(
            membership=membership, actor=request.user, batch=batch, **form.cleaned_data
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("review-batch", pk=batch.pk)
    return redirect("review-bonus-batch", pk=bonus_batch.pk)


@require_GET
def batch_quality(request, pk: int):
    batch, membership = _batch(request, pk)
    method = request.GET.get("method")
    method = method if method in quality_service.METHODS else "dawid_skene"
    report = quality_service.worker_quality(requester=batch.requester, batch=batch, method=method)
    has_gold = bool(batch.project.gold_fields)
    gold = gold_service.gold_refresh(batch) if has_gold else {}
    can_score = role_allows(membership.role, Action.QUALIFICATIONS)
    return render(
        request,
        "review/batch_quality.html",
        {
            "batch": batch,
            "method": method,
            "methods": quality_service.METHODS,
            "report": report,
            "rows": [(w, gold.get(w.worker_id)) for w in report.workers],
            "has_gold": has_gold,
            "gold_missing": gold_service.gold_columns_missing(batch),
            "can_score": can_score,
            "score_form": ScoreSourceForm(requester=batch.requester, initial={"method": method})
            if can_score
            else None,
        },
    )


@require_POST
def score_update_create(request, pk: int):
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


def _update(request, pk: int, action: Action = Action.VIEW):
    update = get_object_or_404(
        ScoreUpdate.objects.select_related("batch", "qualification_type", "requester"), pk=pk
    )
    return update, membership_for(
        user=request.user, requester_id=update.requester_id, action=action
    )


@require_GET
def score_update_detail(request, pk: int):
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
def score_update_apply(request, pk: int):
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
