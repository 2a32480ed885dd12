from __future__ import annotations

from django.db import models

from apps.requesters.models import MirrorModel


class QualificationType(MirrorModel):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    keywords = models.CharField(max_length=1000, blank=True)
    status = models.CharField(max_length=20, default="Active")
    is_requestable = models.BooleanField(default=True)
    auto_granted = models.BooleanField(default=False)
    auto_granted_value = models.IntegerField(null=True, blank=True)
    retry_delay = models.PositiveIntegerField(null=True, blank=True, help_text="seconds")
    test = models.TextField(blank=True)
    answer_key = models.TextField(blank=True)
    test_duration = models.PositiveIntegerField(null=True, blank=True, help_text="seconds")
    created_at_mturk = models.DateTimeField(null=True, blank=True)
    gone_at = models.DateTimeField(null=True, blank=True)
    # Set when the dashboard manages the type as a group of workers: "exclude" (projects require
    # DoesNotExist: a soft block) or "include" (projects require Exists).
    group = models.CharField(max_length=10, blank=True)

    class Meta(MirrorModel.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class QualificationScore(models.Model):
    """A worker's score on one of the account's qualification types."""

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    qualification_type = models.ForeignKey(
        QualificationType, on_delete=models.CASCADE, related_name="scores"
    )
    worker_id = models.CharField(max_length=64, db_index=True)
    value = models.IntegerField(null=True, blank=True)
    locale = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, default="Granted")
    granted_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["qualification_type", "worker_id"], name="qualification_score_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker_id}: {self.value}"


class QualificationRequest(MirrorModel):
    qualification_type = models.ForeignKey(
        QualificationType, on_delete=models.CASCADE, related_name="requests"
    )
    worker_id = models.CharField(max_length=64, db_index=True)
    test = models.TextField(blank=True)
    answer = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Pending while it is listed at MTurk; Accepted/Rejected once someone here decided.
    status = models.CharField(max_length=20, default="Pending")


class GroupAttachment(models.Model):
    """A worker group attached to a batch: whoever submits work to the batch joins the group."""

    qualification_type = models.ForeignKey(
        QualificationType, on_delete=models.CASCADE, related_name="attachments"
    )
    batch = models.ForeignKey(
        "batches.Batch", on_delete=models.CASCADE, related_name="group_attachments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["qualification_type", "batch"], name="group_attachment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.qualification_type} on batch {self.batch_id}"


class GuardKind(models.TextChoices):
    # At most `limit` assignments of the batch per worker.
    CAP = "cap", "Per-worker cap"
    # The parts of one split row: a worker takes one of them.
    SIBLINGS = "siblings", "One of the sibling HITs"


class BatchGuard(models.Model):
    """A qualification the dashboard grants to keep a worker from taking more of a batch: at a
    cap, or on a first assignment of a split row's sibling HITs. The batch's HITs (or the row's)
    require it with DoesNotExist. See apps/qualifications/guards.py."""

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    batch = models.ForeignKey("batches.Batch", on_delete=models.CASCADE, related_name="guards")
    kind = models.CharField(max_length=10, choices=GuardKind.choices)
    # The split row (its `source_row`, shared by its parts) whose HITs the guard keeps apart;
    # None for a cap.
    row_index = models.PositiveIntegerField(null=True, blank=True)
    qualification_type = models.ForeignKey(
        QualificationType, on_delete=models.PROTECT, related_name="guards"
    )
    limit = models.PositiveIntegerField(default=1)
    # "submitted" (Submitted, Approved, Rejected) or "accepted" (also work still in progress).
    counts = models.CharField(max_length=10, default="submitted")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "kind", "row_index"], name="batch_guard_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on batch {self.batch_id}"
