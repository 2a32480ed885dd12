"""Writes for requester accounts and memberships, the gateway per account, and spending checks."""

from __future__ import annotations

import os
from datetime import UTC, datetime, time
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.mturk.gateway import AccountConfig, Gateway
from apps.requesters.access import refusal
from apps.requesters.credentials import credential_choice_problems, credential_name_problem
from apps.requesters.health import requester_gateway_key
from apps.requesters.models import CredentialSource, Membership, Requester
from apps.requesters.roles import Action, Role, role_allows

# Fields whose changes are audited; credentials are audited as "changed", never with values.
_AUDITED_FIELDS = (
    "name",
    "environment",
    "endpoint_url",
    "credential_source",
    "access_key_env",
    "secret_key_env",
    "aws_profile",
    "sqs_queue_url",
    "bonus_cap",
    "daily_spend_limit",
    "target_hourly_rate",
    "requests_per_second",
)


class CredentialsMissing(Exception):
    pass


class CredentialsRefused(CredentialsMissing):
    """The account names credentials it may never use (the server's own secrets)."""


# The fields that say where credentials come from; who may change them is checked on save.
_CREDENTIAL_NAMES = ("access_key_env", "secret_key_env", "aws_profile")


class SpendingRefused(PermissionDenied):
    """A payment would pass the reviewer's per-bonus cap or the account's daily limit."""


@sensitive_variables()
def requester_account_config(requester: Requester) -> AccountConfig:
    """The gateway's view of an account, with credentials read from where they are kept."""
    access_key = secret_key = profile = ""
    for field in _CREDENTIAL_NAMES:
        # Checked on save too; again here, for a row changed behind the form's back.
        problem = credential_name_problem(field, getattr(requester, field))
        if problem:
            raise CredentialsRefused(f"{requester.name}: {problem}")
    if requester.credential_source == CredentialSource.ENCRYPTED:
        access_key, secret_key = requester.access_key_id, requester.secret_access_key
        if not (access_key and secret_key):
            raise CredentialsMissing(f"{requester.name} has no stored credentials.")
    elif requester.credential_source == CredentialSource.ENVIRONMENT:
        missing = [
            n for n in (requester.access_key_env, requester.secret_key_env) if not os.environ.get(n)
        ]
        if missing:
            raise CredentialsMissing(
                f"{requester.name}: environment variable {', '.join(missing)} is not set."
            )
        access_key = os.environ[requester.access_key_env]
        secret_key = os.environ[requester.secret_key_env]
    else:
        profile = requester.aws_profile
    return AccountConfig(
        key=requester_gateway_key(requester),
        endpoint_url=requester.effective_endpoint,
        access_key_id=access_key,
        secret_access_key=secret_key,
        profile=profile,
        requests_per_second=requester.requests_per_second,
        environment=requester.environment,
    )


def requester_gateway(requester: Requester) -> Gateway:
    return Gateway(requester_account_config(requester))


def _balance_cache_key(requester: Requester) -> str:
    return f"requester-balance:{requester.pk}"


def requester_balance(*, requester: Requester, refresh: bool = False) -> Decimal:
    """The account's available balance from GetAccountBalance, cached for a short while.

    Raises MTurkError (or CredentialsMissing) when MTurk cannot tell.
    """
    key = _balance_cache_key(requester)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return Decimal(cached)
    balance = requester_gateway(requester).account_balance()
    cache.set(key, str(balance), settings.MTURK_BALANCE_CACHE_SECONDS)
    checked_at = timezone.now()
    Requester.objects.filter(pk=requester.pk).update(
        last_balance=balance, balance_checked_at=checked_at
    )
    requester.last_balance, requester.balance_checked_at = balance, checked_at
    return balance


@sensitive_variables()
def _requester_save(
    requester: Requester, *, actor, before: dict[str, str], secrets: dict[str, str]
) -> None:
    problems = credential_choice_problems(
        actor=actor, before=before, after={f: getattr(requester, f) for f in _CREDENTIAL_NAMES}
    )
    if problems:
        raise ValidationError(problems)
    for name, value in secrets.items():
        if value:
            setattr(requester, name, value)
    try:
        requester.full_clean()
    except ValidationError as exc:
        # The keys are typed into fields of other names (forms.SECRET_FIELDS): their errors
        # are the form's own, not a field's.
        if not hasattr(exc, "error_dict"):
            raise
        errors = dict(exc.error_dict)
        for name in secrets:
            errors.setdefault(NON_FIELD_ERRORS, []).extend(errors.pop(name, []))
        raise ValidationError(errors) from exc
    requester.save()


@sensitive_variables()
@transaction.atomic
def requester_create(*, actor, data: dict, secrets: dict[str, str] | None = None) -> Requester:
    """Create an account; whoever creates it becomes its admin."""
    requester = Requester(**data)
    _requester_save(requester, actor=actor, before={}, secrets=secrets or {})
    Membership.objects.create(user=actor, requester=requester, role=Role.ADMIN)
    audit_record(
        actor=actor,
        requester=requester,
        action="requester.create",
        target_type="requester",
        target_id=requester.pk,
        details={f: str(getattr(requester, f)) for f in _AUDITED_FIELDS},
    )
    return requester


@sensitive_variables()
@transaction.atomic
def requester_update(
    *, actor, membership: Membership, data: dict, secrets: dict[str, str] | None = None
) -> Requester:
    membership_require(membership, Action.MANAGE_ACCOUNT)
    requester = Requester.objects.select_for_update().get(pk=membership.requester_id)
    before = {f: str(getattr(requester, f)) for f in _AUDITED_FIELDS}
    for name, value in data.items():
        setattr(requester, name, value)
    secrets = {k: v for k, v in (secrets or {}).items() if v}
    _requester_save(requester, actor=actor, before=before, secrets=secrets)
    changes = {
        f: [before[f], str(getattr(requester, f))]
        for f in _AUDITED_FIELDS
        if before[f] != str(getattr(requester, f))
    }
    changes.update({f: "changed" for f in secrets})
    if changes:
        audit_record(
            actor=actor,
            requester=requester,
            action="requester.update",
            target_type="requester",
            target_id=requester.pk,
            details=changes,
        )
    cache.delete(_balance_cache_key(requester))
    return requester


def membership_require(membership: Membership, action: Action) -> None:
    """Refuse (PermissionDenied) an action the person's role on the account does not allow."""
    if not role_allows(membership.role, action):
        raise PermissionDenied(refusal(membership, action))


def _admins_left(requester: Requester, excluding: Membership) -> int:
    return requester.memberships.filter(role=Role.ADMIN).exclude(pk=excluding.pk).count()


@transaction.atomic
def membership_add(*, actor, membership: Membership, username: str, role: str) -> Membership:
    membership_require(membership, Action.MANAGE_MEMBERS)
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError(f"There is no user named {username!r}.")
    added, created = Membership.objects.get_or_create(
        user=user, requester=membership.requester, defaults={"role": role}
    )
    if not created:
        raise ValidationError(f"{username} is already a member ({added.role}).")
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="membership.add",
        target_type="user",
        target_id=user.pk,
        details={"username": username, "role": role},
    )
    return added


@transaction.atomic
def membership_change_role(
    *, actor, membership: Membership, target: Membership, role: str
) -> Membership:
    membership_require(membership, Action.MANAGE_MEMBERS)
    target = Membership.objects.select_for_update().get(
        pk=target.pk, requester=membership.requester
    )
    if target.role == role:
        return target
    if target.role == Role.ADMIN and not _admins_left(target.requester, target):
        raise ValidationError("An account keeps at least one admin.")
    old = target.role
    Membership.objects.filter(pk=target.pk, role=old).update(role=role)
    target.role = role
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="membership.role",
        target_type="user",
        target_id=target.user_id,
        details={"username": target.user.get_username(), "from": old, "to": role},
    )
    return target


@transaction.atomic
def membership_remove(*, actor, membership: Membership, target: Membership) -> None:
    membership_require(membership, Action.MANAGE_MEMBERS)
    target = Membership.objects.select_for_update().get(
        pk=target.pk, requester=membership.requester
    )
    if target.role == Role.ADMIN and not _admins_left(target.requester, target):
        raise ValidationError("An account keeps at least one admin.")
    target.delete()
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="membership.remove",
        target_type="user",
        target_id=target.user_id,
        details={"username": target.user.get_username(), "role": target.role},
    )


def requester_spent_today(requester: Requester) -> Decimal:
    """What counts against today's (UTC) daily limit: the amounts and fees of the day's audit
    entries that carry one, a sum the audit page shows too.

    The account works by commitments (docs/security.md, "Money"): a launch or added assignments
    count their most (rewards and fees) when made, since MTurk pays those workers even if nobody
    approves; their approvals then carry no amount, and their rejections, expiries and
    cancellations give it back (negative entries). Bonuses, compensation HITs and approvals of
    HITs the dashboard did not launch count when made. Each cent appears once.
    """
    midnight = datetime.combine(timezone.now().astimezone(UTC).date(), time.min, tzinfo=UTC)
    total = AuditEvent.objects.filter(
        requester=requester, created_at__gte=midnight, amount__isnull=False
    ).aggregate(spent=Sum("amount"), fees=Sum("fee"))
    return (total["spent"] or Decimal("0")) + (total["fees"] or Decimal("0"))


def spend_authorize(
    *,
    membership: Membership,
    amount: Decimal,
    fee: Decimal,
    bonus: bool = False,
    commitment: str = "",
) -> None:
    """Refuse a payment (or, with `commitment` naming it, a commitment such as a launch) that the
    person's role or the account's limits do not allow.

    Call inside the transaction that records it: the account row is locked, so two at once
    cannot both slip under the daily limit.
    """
    requester = Requester.objects.select_for_update().get(pk=membership.requester_id)
    if bonus:
        membership_require(membership, Action.BONUS)
        if amount > requester.bonus_cap and not role_allows(membership.role, Action.SPEND):
            raise SpendingRefused(
                f"A bonus of ${amount:.2f} is above this account's cap of "
                f"${requester.bonus_cap:.2f} for reviewers."
            )
    elif commitment:
        membership_require(membership, Action.LAUNCH)
    else:
        membership_require(membership, Action.REVIEW)
    spent = requester_spent_today(requester)
    if spent + amount + fee > requester.daily_spend_limit:
        what = f"{commitment} would commit" if commitment else "This would spend"
        raise SpendingRefused(
            f"{what} ${amount + fee:.2f} (with fees); ${spent:.2f} counted today of the daily "
            f"limit of ${requester.daily_spend_limit:.2f}."
        )
