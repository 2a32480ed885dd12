from __future__ import annotations

import re

from django.conf import settings
from django.db import models

from apps.requesters.models import MirrorModel


class HITStatus(models.TextChoices):
    ASSIGNABLE = "Assignable"
    UNASSIGNABLE = "Unassignable"
    REVIEWABLE = "Reviewable"
    REVIEWING = "Reviewing"
    DISPOSED = "Disposed"


class AssignmentStatus(models.TextChoices):
    SUBMITTED = "Submitted"
    APPROVED = "Approved"
    REJECTED = "Rejected"


# Assignments only move forward: Submitted -> Approved or Rejected, Rejected -> Approved (an
# overridden rejection). A payload of lower rank than what we hold is older news and is ignored.
ASSIGNMENT_RANK = {
    AssignmentStatus.SUBMITTED: 1,
    AssignmentStatus.REJECTED: 2,
    AssignmentStatus.APPROVED: 3,
}


_BATCH_MARKER = re.compile(r"mturkdash:([0-9A-Za-z]{1,12}):\d+(?:\s|$)")


def batch_key_from_annotation(annotation: str) -> str:
    """The batch launch key in a HIT's RequesterAnnotation marker, or "" when it has none."""
    match = _BATCH_MARKER.match(annotation or "")
    return match.group(1) if match else ""


class HITType(MirrorModel):
    title = models.CharField(max_length=128)
    description = models.TextField(blank=True)
    keywords = models.CharField(max_length=1000, blank=True)
    reward = models.DecimalField(max_digits=10, decimal_places=2)
    assignment_duration = models.PositiveIntegerField(help_text="seconds")
    auto_approval_delay = models.PositiveIntegerField(help_text="seconds")
    qualification_requirements = models.JSONField(default=list, blank=True)
    notifications_configured_at = models.DateTimeField(null=True, blank=True)

    class Meta(MirrorModel.Meta):
        verbose_name = "HIT type"

    def __str__(self) -> str:
        return f"{self.title} ({self.mturk_id})"


class HIT(MirrorModel):
    hit_type = models.ForeignKey(
        HITType, null=True, blank=True, on_delete=models.SET_NULL, related_name="hits"
    )
    hit_type_mturk_id = models.CharField(max_length=64, db_index=True)
    hit_group_id = models.CharField(max_length=64, blank=True)
    title = models.CharField(max_length=128)
    status = models.CharField(max_length=20, choices=HITStatus.choices, db_index=True)
    review_status = models.CharField(max_length=32, blank=True)
    max_assignments = models.PositiveIntegerField(default=1)
    available = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    reward = models.DecimalField(max_digits=10, decimal_places=2)
    created_at_mturk = models.DateTimeField(null=True, blank=True, db_index=True)
    expiration = models.DateTimeField(null=True, blank=True)
    annotation = models.CharField(max_length=255, blank=True)
    # The launch key of the batch that made this HIT, read from the marker its launch put at the
    # start of the annotation (`mturkdash:<launch_key>:<row>`); empty for HITs made elsewhere.
    batch_key = models.CharField(max_length=12, blank=True)
    # Set when the HIT left ListHITs: MTurk deleted or disposed of it. We keep our copy.
    gone_at = models.DateTimeField(null=True, blank=True)
    # True when MTurk may hold assignment news we have not read: set when the HIT's counters or
    # status change, cleared only after all its assignments were listed and stored. A sync that
    # dies in between leaves it set, so the next one finishes the job.
    assignments_stale = models.BooleanField(default=False)

    class Meta(MirrorModel.Meta):
        verbose_name = "HIT"
        indexes = [
            models.Index(fields=["requester", "status"]),
            models.Index(fields=["requester", "created_at_mturk"]),
            models.Index(fields=["requester", "batch_key"]),
        ]

    def __str__(self) -> str:
        return self.mturk_id

    @property
    def counters(self) -> tuple[int, int, int]:
        return (self.available, self.pending, self.completed)


class Assignment(MirrorModel):
    hit = models.ForeignKey(HIT, on_delete=models.CASCADE, related_name="assignments")
    worker_id = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=AssignmentStatus.choices)
    accept_time = models.DateTimeField(null=True, blank=True)
    submit_time = models.DateTimeField(null=True, blank=True)
    auto_approval_time = models.DateTimeField(null=True, blank=True)
    approval_time = models.DateTimeField(null=True, blank=True)
    rejection_time = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    requester_feedback = models.TextField(blank=True)
    answer_xml = models.TextField(blank=True)
    answers = models.JSONField(default=dict, blank=True)
    file_answers = models.JSONField(default=dict, blank=True)
    # A crowd-form's answer object whole (`answers` holds it flattened); None for other forms.
    task_answers = models.JSONField(null=True, blank=True)
    # Why the answer could not be parsed (malformed or hostile XML); empty when it parsed.
    answer_error = models.CharField(max_length=255, blank=True)
    # Share of this assignment's categorical answers that match the HIT's majority (None when
    # the HIT has a single assignment or no field has a majority). See apps/hits/agreement.py.
    agreement = models.FloatField(null=True, blank=True)
    # A decision in flight: claimed here (compare-and-set) before the call to MTurk, cleared
    # when MTurk answered. Two clicks or two workers cannot both approve or reject.
    decision = models.CharField(max_length=10, blank=True)
    decision_started_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The HIT's batch key, copied at upsert: a batch's review queue is then one index range
    # (requester, batch_key, status, submit_time, id), counted and offset without a join.
    batch_key = models.CharField(max_length=12, blank=True)

    class Meta(MirrorModel.Meta):
        indexes = [
            models.Index(fields=["hit", "status"]),
            models.Index(fields=["requester", "batch_key", "status", "submit_time", "id"]),
            models.Index(fields=["requester", "worker_id"]),
            models.Index(fields=["requester", "status", "submit_time"]),
            models.Index(fields=["requester", "auto_approval_time"]),
        ]

    def __str__(self) -> str:
        return self.mturk_id

    @property
    def work_seconds(self) -> int | None:
        if self.accept_time and self.submit_time:
            return int((self.submit_time - self.accept_time).total_seconds())
        return None


class SyncRun(models.Model):
    """One reconciliation of an account: what it did, with how many calls, and how it ended."""

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="sync_runs"
    )
    full = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    error = models.TextField(blank=True)
    calls = models.JSONField(default=dict, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"sync of {self.requester_id} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration(self) -> float | None:
        if self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


class SyncLock(models.Model):
    """At most one sync per account: claimed with a compare-and-set on `holder`."""

    requester = models.OneToOneField(
        "requesters.Requester", on_delete=models.CASCADE, related_name="sync_lock"
    )
    holder = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sync lock of {self.requester_id}: {self.holder or 'free'}"
