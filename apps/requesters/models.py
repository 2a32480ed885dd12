from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from apps.mturk.constants import PRODUCTION_ENDPOINT, SANDBOX_ENDPOINT
from apps.mturk.endpoints import mturk_endpoint_problem, sqs_queue_url_problem
from apps.requesters.credentials import credential_name_problem
from apps.requesters.crypto import EncryptedTextField
from apps.requesters.roles import Role


class Environment(models.TextChoices):
    LOCAL = "local", "Local MTurk"
    SANDBOX = "sandbox", "Sandbox"
    PRODUCTION = "production", "Production"


class CredentialSource(models.TextChoices):
    ENCRYPTED = "encrypted", "Stored encrypted"
    ENVIRONMENT = "environment", "Environment variables"
    PROFILE = "profile", "AWS profile"


class Requester(models.Model):
    """One MTurk requester account (one set of AWS credentials) that a team works with."""

    name = models.CharField(max_length=100, unique=True)
    environment = models.CharField(
        max_length=20, choices=Environment.choices, default=Environment.SANDBOX
    )
    endpoint_url = models.URLField(
        blank=True, help_text="Leave empty for the environment's standard endpoint."
    )

    credential_source = models.CharField(
        max_length=20, choices=CredentialSource.choices, default=CredentialSource.ENCRYPTED
    )
    access_key_id = EncryptedTextField(blank=True)
    secret_access_key = EncryptedTextField(blank=True)
    access_key_env = models.CharField(
        max_length=100, blank=True, help_text="Name of the variable holding the access key id."
    )
    secret_key_env = models.CharField(
        max_length=100, blank=True, help_text="Name of the variable holding the secret access key."
    )
    aws_profile = models.CharField(max_length=100, blank=True)

    sqs_queue_url = models.URLField(blank=True, verbose_name="SQS queue URL")
    bonus_cap = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("5.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=(
            "The most a reviewer may pay in bonuses on one assignment, all together; past it"
            " a manager pays, after a confirmation."
        ),
    )
    daily_spend_limit = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("100.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Rewards approved and bonuses paid per UTC day, across everyone.",
    )
    target_hourly_rate = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("12.00"),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=(
            "What a worker should earn an hour: rewards are suggested from it and the batches"
            " show when their pay falls under it."
        ),
    )
    requests_per_second = models.FloatField(
        default=5.0,
        validators=[MinValueValidator(0.1)],
        help_text="Calls to MTurk per second, all workers together.",
    )

    last_balance = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    balance_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="requesters"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Where the account may send its calls (apps/mturk/endpoints.py) and the names its
        credentials may come from (credentials.py); who may choose them is the services'."""
        problems = {}
        if self.endpoint_url:
            problems["endpoint_url"] = mturk_endpoint_problem(self.endpoint_url, self.environment)
        if self.sqs_queue_url:
            problems["sqs_queue_url"] = sqs_queue_url_problem(self.sqs_queue_url, self.environment)
        for field in ("access_key_env", "secret_key_env", "aws_profile"):
            problems[field] = credential_name_problem(field, getattr(self, field))
        problems = {field: problem for field, problem in problems.items() if problem}
        if problems:
            raise ValidationError(problems)

    @property
    def effective_endpoint(self) -> str:
        if self.endpoint_url:
            return self.endpoint_url
        return {
            Environment.LOCAL: settings.MTURK_LOCAL_ENDPOINT,
            Environment.SANDBOX: SANDBOX_ENDPOINT,
            Environment.PRODUCTION: PRODUCTION_ENDPOINT,
        }[self.environment]

    @property
    def is_production(self) -> bool:
        return self.environment == Environment.PRODUCTION


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    requester = models.ForeignKey(Requester, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "requester"], name="membership_unique")
        ]
        ordering = ["requester__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.requester}"


class MirrorModel(models.Model):
    """Base of every model that mirrors an MTurk object of one requester account.

    `mturk_id` is unique per account; `raw` keeps the last payload MTurk gave; `synced_at` is
    when that payload was read (older reads never overwrite newer ones).
    """

    requester = models.ForeignKey(Requester, on_delete=models.CASCADE, related_name="+")
    mturk_id = models.CharField(max_length=64)
    raw = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "mturk_id"], name="%(app_label)s_%(class)s_unique_mturk_id"
            )
        ]
