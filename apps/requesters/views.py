from __future__ import annotations

from datetime import UTC
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from apps.mturk.errors import MTurkError
from apps.requesters import services
from apps.requesters.access import SESSION_KEY, membership_for, memberships_for_user
from apps.requesters.forms import SECRET_FIELDS, MemberAddForm, MemberRoleForm, RequesterForm
from apps.requesters.health import requester_mturk_health
from apps.requesters.models import Membership
from apps.requesters.roles import Action, role_allows
from mturkdash.templatetags import money


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    from apps.review.decisions.selectors import review_counts

    memberships = list(memberships_for_user(request.user))
    counts = review_counts([m.requester_id for m in memberships])
    for membership in memberships:
        membership.waiting, membership.soon = counts.get(membership.requester_id, (0, 0))
        # A balance never read is fetched by the row itself, unless MTurk is known to be
        # failing this account: the list then says so rather than waiting on every visit.
        health = requester_mturk_health(membership.requester)
        membership.balance_error = health.last_error if health else None
    return render(request, "requesters/home.html", {"account_memberships": memberships})


@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    membership = membership_for(user=request.user, requester_id=request.POST.get("requester"))
    request.session[SESSION_KEY] = membership.requester_id
    account_home = reverse("requesters-detail", args=[membership.requester_id])
    target = request.POST.get("next") or account_home
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return redirect("home")
    try:
        match = resolve(urlsplit(target).path)
    except Resolver404:
        return redirect(account_home)
    # A list page stays the same page for the new account; a page about one object of the old
    # account (it has ids in its URL) gives way to the new account's page.
    return redirect(account_home if match.kwargs else target)


def _detail_context(request: HttpRequest, membership: Membership) -> dict:
    requester = membership.requester
    return {
        "membership": membership,
        "requester": requester,
        "members": requester.memberships.select_related("user").order_by("user__username"),
        "can_manage": role_allows(membership.role, Action.MANAGE_ACCOUNT),
        "can_manage_members": role_allows(membership.role, Action.MANAGE_MEMBERS),
        "add_form": MemberAddForm(),
        "role_choices": MemberRoleForm.base_fields["role"].choices,
        "account_health": requester_mturk_health(requester),
        "spent_today": services.requester_spent_today(requester),
        "today": timezone.now().astimezone(UTC).date(),
    }


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(user=request.user, requester_id=pk)
    request.session[SESSION_KEY] = membership.requester_id
    return render(request, "requesters/detail.html", _detail_context(request, membership))


@require_GET
def mturk_health(request: HttpRequest) -> HttpResponse:
    """The degraded-status banner of the current account (polled by every page)."""
    if not request.htmx:
        return redirect("home")
    return render(request, "_mturk_health.html")


@require_GET
def balance(request: HttpRequest, pk: int) -> HttpResponse:
    """The balance read from MTurk (cached briefly, and stored as the account's last known
    one): the account page's card, or with `in=list` the accounts list's cell."""
    membership = membership_for(user=request.user, requester_id=pk)
    requester = membership.requester
    context = {"requester": requester, "balance": None, "error": None}
    try:
        context["balance"] = services.requester_balance(
            requester=requester, refresh=request.GET.get("refresh") == "1"
        )
    except (MTurkError, services.CredentialsMissing) as exc:
        context["error"] = str(exc)
    if request.htmx:
        if request.GET.get("in") == "list":
            return render(request, "requesters/home.html#balance_cell", context)
        return render(request, "requesters/detail.html#balance", context)
    if context["error"]:
        messages.error(request, f"MTurk did not give the balance: {context['error']}")
    else:
        messages.success(request, f"Available balance: {money(context['balance'])}")
    return redirect("requesters-detail", pk=pk)


@sensitive_post_parameters(*SECRET_FIELDS)
def create(request: HttpRequest) -> HttpResponse:
    if not request.user.is_superuser:
        raise PermissionDenied("Only a site administrator can add requester accounts.")
    form = RequesterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            requester = services.requester_create(
                actor=request.user, data=form.model_data(), secrets=form.secrets()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Account {requester.name} created; you are its admin.")
            return redirect("requesters-detail", pk=requester.pk)
    return render(request, "requesters/form.html", {"form": form, "requester": None})


@sensitive_post_parameters(*SECRET_FIELDS)
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(user=request.user, requester_id=pk, action=Action.MANAGE_ACCOUNT)
    form = RequesterForm(request.POST or None, instance=membership.requester)
    if request.method == "POST" and form.is_valid():
        try:
            services.requester_update(
                actor=request.user,
                membership=membership,
                data=form.model_data(),
                secrets=form.secrets(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Account saved.")
            return redirect("requesters-detail", pk=pk)
    return render(
        request, "requesters/form.html", {"form": form, "requester": membership.requester}
    )


def _members_response(request: HttpRequest, membership: Membership) -> HttpResponse:
    membership = membership_for(user=request.user, requester_id=membership.requester_id)
    if request.htmx:
        return render(
            request, "requesters/detail.html#members", _detail_context(request, membership)
        )
    return redirect("requesters-detail", pk=membership.requester_id)


@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    membership = membership_for(user=request.user, requester_id=pk, action=Action.MANAGE_MEMBERS)
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            services.membership_add(
                actor=request.user,
                membership=membership,
                username=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
            )
            messages.success(request, f"{form.cleaned_data['username']} added.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, "Give a username and a role.")
    return _members_response(request, membership)


@require_POST
def member_role(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    membership = membership_for(user=request.user, requester_id=pk, action=Action.MANAGE_MEMBERS)
    target = get_object_or_404(Membership, pk=member_pk, requester_id=membership.requester_id)
    form = MemberRoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_change_role(
                actor=request.user,
                membership=membership,
                target=target,
                role=form.cleaned_data["role"],
            )
            messages.success(request, f"{target.user} is now {form.cleaned_data['role']}.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return _members_response(request, membership)


@require_POST
def member_remove(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    membership = membership_for(user=request.user, requester_id=pk, action=Action.MANAGE_MEMBERS)
    target = get_object_or_404(Membership, pk=member_pk, requester_id=membership.requester_id)
    try:
        services.membership_remove(actor=request.user, membership=membership, target=target)
        messages.success(request, f"{target.user} removed.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if target.user_id == request.user.pk:
        return redirect("home")
    return _members_response(request, membership)
