from __future__ import annotations

from django.conf import settings
from django.db import models


class BonusPayment(models.Model):
    """A bonus to a worker for an assignment. Rows created here carry the UniqueRequestToken
    committed before SendBonus is called; rows found only at MTurk (paid elsewhere) have none."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    worker_id = models.CharField(max_length=64, db_index=True)
    assignment_mturk_id = models.CharField(max_length=64, db_index=True)
    hit_mturk_id = models.CharField(max_length=64, blank=True, db_index=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.TextField(blank=True)
    unique_request_token = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    granted_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"${self.amount} to {self.worker_id}"


class FeedbackReason(models.Model):
    """A rejection reason saved for reuse on one account."""

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(max_length=1024)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["text"]
        constraints = [
            models.UniqueConstraint(fields=["requester", "text"], name="feedback_reason_unique")
        ]

    def __str__(self) -> str:
        return self.text


class BulkReview(models.Model):
    """Approving or rejecting many assignments at once, as a Celery job with progress.

    `items` lists what to do, one entry per assignment: {"id": pk, "action": "approve" or
    "reject", "feedback": "..."}. Each item's result is a `BulkReviewOutcome` row, unique per
    job and assignment, so a chunk that runs twice (a redelivered task) does nothing twice.
    """

    class Status(models.TextChoices):
        PREVIEW = "preview"  # an uploaded review CSV, checked, waiting for "Apply"
        QUEUED = "queued"
        RUNNING = "running"
        FINISHED = "finished"
        CANCELLED = "cancelled"

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=20, default="queue")  # queue, csv
    items = models.JSONField(default=list)
    # Rows of an uploaded CSV that cannot be applied: [{"row": n, "error": "..."}].
    problems = models.JSONField(default=list, blank=True)
    total = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"bulk review {self.pk} of {self.total}"


class BulkReviewOutcome(models.Model):
    class Result(models.TextChoices):
        DONE = "done"
        SKIPPED = "skipped"  # already decided, at MTurk or here
        FAILED = "failed"

    job = models.ForeignKey(BulkReview, on_delete=models.CASCADE, related_name="outcomes")
    assignment_id = models.BigIntegerField()
    result = models.CharField(max_length=10, choices=Result.choices)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["job", "assignment_id"], name="bulk_review_outcome_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.result}"


class BonusBatch(models.Model):
    """Bonuses uploaded as a CSV (WorkerId, AssignmentId, Amount, Reason), previewed, then paid.

    Each row's UniqueRequestToken derives from the batch and the row, so paying twice (a double
    click, a retried task) pays each row once.
    """

    class Status(models.TextChoices):
        PREVIEW = "preview"
        PAYING = "paying"
        DONE = "done"

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    rows = models.JSONField(
        default=list
    )  # [{"row", "worker_id", "assignment_id", "hit_id", "amount", "reason"}]
    problems = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"bonus batch {self.pk}"


class Compensation(models.Model):
    """A HIT made for one worker (to pay someone with no assignment to bonus): visible only to
    them through a one-off qualification, approved the moment they submit it."""

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    worker_id = models.CharField(max_length=64, db_index=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.TextField()
    unique_request_token = models.CharField(max_length=64, unique=True)
    qualification_type_mturk_id = models.CharField(max_length=64, blank=True)
    hit_mturk_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"${self.amount} compensation for {self.worker_id}"
