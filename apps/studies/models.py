"""Survey-link studies: a project whose HIT sends workers to a survey hosted elsewhere and takes
back the completion code it shows them. See docs/studies.md."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CodeMode(models.TextChoices):
    FIXED = "fixed", "One code for everyone"
    HMAC = "hmac", "A code per worker, computed by the survey (HMAC of the worker id)"
    LIST = "list", "A list of codes, each used once"


class Verdict(models.TextChoices):
    VALID = "valid", "Valid"
    INVALID = "invalid", "Not a code of this study"
    REUSED = "reused", "Another participant's code"
    MISSING = "missing", "No code"
    # A second assignment of a worker who took part already (in a sibling HIT taken before the
    # sibling qualification was granted, or in another batch of the study).
    REPEAT = "repeat", "Took part already"


class Study(models.Model):
    project = models.OneToOneField(
        "batches.Project", on_delete=models.CASCADE, related_name="study"
    )
    survey_url = models.URLField(max_length=2000)
    # The URL parameters the survey reads the worker's and the assignment's ids from.
    worker_param = models.CharField(max_length=40, default="workerId")
    assignment_param = models.CharField(max_length=40, default="assignmentId")
    minutes = models.PositiveIntegerField(default=10)
    code_mode = models.CharField(max_length=10, choices=CodeMode.choices, default=CodeMode.FIXED)
    fixed_code = models.CharField(max_length=64, blank=True)
    # The HMAC mode's secret, encrypted (apps/requesters/crypto.py), never shown after creation.
    secret = models.TextField(blank=True)
    # Whoever submits work to the study joins it (a group attached to each of its batches).
    exclusion_group = models.ForeignKey(
        "qualifications.QualificationType",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Approve assignments with a valid code by themselves, acting as `auto_approve_by`.
    auto_approve = models.BooleanField(default=False)
    auto_approve_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.project.name


class CompletionCode(models.Model):
    """One code of the list mode, normalised; used once, by `used_by`."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=64)
    used_by = models.ForeignKey(
        "hits.Assignment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="studies_code_unique")
        ]

    def __str__(self) -> str:
        return self.code


class CodeCheck(models.Model):
    """The verdict on the code an assignment of a study handed in."""

    assignment = models.OneToOneField(
        "hits.Assignment", on_delete=models.CASCADE, related_name="code_check"
    )
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="checks")
    # As the worker typed it (cut to 200 characters), and normalised.
    given = models.CharField(max_length=200, blank=True)
    code = models.CharField(max_length=64, blank=True)
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    reason = models.CharField(max_length=300)
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["study", "verdict"])]

    def __str__(self) -> str:
        return f"{self.verdict}: {self.code}"
