from __future__ import annotations

from django.conf import settings
from django.db import models


class Worker(models.Model):
    """A worker as one requester account sees them: their work for this account, summed."""

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    worker_id = models.CharField(max_length=64)
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    submitted = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["requester", "worker_id"], name="worker_unique")
        ]
        indexes = [models.Index(fields=["requester", "last_seen"])]

    def __str__(self) -> str:
        return self.worker_id

    @property
    def approval_rate(self) -> float | None:
        decided = self.approved + self.rejected
        return self.approved / decided if decided else None


class WorkerBlock(models.Model):
    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    worker_id = models.CharField(max_length=64)
    reason = models.TextField(blank=True)
    # When this account blocked the worker; for a block made elsewhere (MTurk's own site), when
    # reconciliation first found it. ListWorkerBlocks tells no date.
    blocked_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["requester", "worker_id"], name="worker_block_unique")
        ]

    def __str__(self) -> str:
        return f"block of {self.worker_id}"


class WorkerMessage(models.Model):
    """A message sent to workers with NotifyWorkers, and who did not get it."""

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=200)
    text = models.TextField()
    worker_ids = models.JSONField(default=list)
    failures = models.JSONField(default=dict, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return self.subject

    @property
    def sent_count(self) -> int:
        """How many of the workers MTurk accepted the message for."""
        return len(self.worker_ids) - len(self.failures)


class WorkerUpdate(models.Model):
    """An uploaded worker CSV: the score and block changes it asks for, previewed, then applied."""

    class Status(models.TextChoices):
        PREVIEW = "preview"
        APPLYING = "applying"
        DONE = "done"

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    block_reason = models.CharField(max_length=1024, blank=True)
    # [{"row", "worker_id", "kind": "score"|"revoke"|"block"|"unblock", "type_id", "name", "value"}]
    changes = models.JSONField(default=list)
    problems = models.JSONField(default=list, blank=True)
    results = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"worker update {self.pk}"
