"""Fair pay on the project and batch pages: the reward a pilot's pace suggests at the account's
rate, the button that sets it, and each batch's effective hourly pay."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.batches.models import Batch, Project
from apps.batches.pay import rewards as pay
from apps.requesters.access import membership_for
from apps.requesters.roles import Action, role_allows
from apps.review.bonuses import hourly
from mturkdash.templatetags import money


def pay_context(*, membership, project: Project, batch: Batch | None = None) -> dict:
    """What the pay card of a project page (its newest timed batch) or a batch page shows."""
    requester = membership.requester
    rate = requester.target_hourly_rate
    if batch is None:
        suggestion = pay.project_reward_suggestion(project, rate=rate)
    else:
        suggestion = pay.batch_reward_suggestion(batch, rate=rate)
        if not suggestion.timed:
            suggestion = None
    context = {
        "suggestion": suggestion,
        "target_rate": rate,
        "can_set_reward": role_allows(membership.role, Action.LAUNCH),
        "can_top_up": role_allows(membership.role, Action.SPEND),
        "min_timed": pay.MIN_TIMED,
    }
    if batch is not None and batch.hit_type_mturk_id:
        context["hourly_pay"] = hourly.batch_hourly_pay(batch)
    return context


def batches_pay_attach(batches, *, requester) -> list:
    """The batches of a list (annotated by `hourly.batches_with_pay`), each with its `pay`."""
    batches = list(batches)
    for batch in batches:
        batch.pay = hourly.hourly_pay_of(batch, target=requester.target_hourly_rate)
    return batches


def _back(request: HttpRequest, project: Project):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("batches-project", pk=project.pk)


@require_POST
def project_reward(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the project's reward to the one suggested, if it is still the reward the page
    showed (`expected`): a stale page changes nothing and says so."""
    project = get_object_or_404(Project.objects.select_related("requester"), pk=pk)
    membership = membership_for(
        user=request.user, requester_id=project.requester_id, action=Action.LAUNCH
    )
    batch = None
    if (request.POST.get("batch") or "").isdigit():
        batch = Batch.objects.filter(pk=int(request.POST["batch"]), project=project).first()
    try:
        expected = Decimal(request.POST.get("expected", ""))
        rate = Decimal(request.POST.get("rate") or membership.requester.target_hourly_rate)
    except InvalidOperation:
        messages.error(request, "The form was not complete: nothing was changed.")
        return _back(request, project)
    try:
        reward = pay.project_reward_set(
            membership=membership,
            actor=request.user,
            project=project,
            expected=expected,
            reward=request.POST.get("reward", ""),
            batch=batch,
            rate=rate,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"The project's reward is now {money(reward)}: the next batches launch with it.",
        )
    return _back(request, project)
