from __future__ import annotations

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
