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
    # Bonuses made by a rule over a batch (not uploaded): the batch, and the rule in words.
    source_batch = models.ForeignKey(
        "batches.Batch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.CharField(max_length=200, blank=True)
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


class WorkerGold(models.Model):
    """A worker's answers to the gold questions of one batch: how many were right of how many.

    Refreshed each time the batch's gold accuracy is computed
    (`apps.review.quality.gold.gold_refresh`),
    so that the workers pages sum a worker's figure over every batch without recomputing it.
    """

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    batch = models.ForeignKey("batches.Batch", on_delete=models.CASCADE, related_name="+")
    worker_id = models.CharField(max_length=64)
    right = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "worker_id"], name="worker_gold_unique")
        ]
        indexes = [models.Index(fields=["requester", "worker_id"])]

    def __str__(self) -> str:
        return f"{self.worker_id}: {self.right}/{self.total} on batch {self.batch_id}"


class AutoReviewRule(models.Model):
    """A decision the dashboard takes by itself on a batch's submitted assignments.

    Run every few minutes by the `review-auto-rules` beat task, through the same approve and
    reject services as a click (role, money checks, compare-and-set, audit), acting as the
    person who made the rule. See `apps.review.quality.rules`.
    """

    class Kind(models.TextChoices):
        APPROVE_GOLD = "approve_gold_at_least", "Approve when gold accuracy is at least"
        REJECT_GOLD = "reject_gold_below", "Reject when gold accuracy is below"
        APPROVE_AFTER_DAYS = "approve_after_days", "Approve when submitted more than n days ago"

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    batch = models.ForeignKey(
        "batches.Batch", on_delete=models.CASCADE, related_name="review_rules"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # Gold rules: the accuracy threshold in percent, and the fewest gold answers a worker must
    # have given before the rule judges them.
    threshold = models.PositiveSmallIntegerField(null=True, blank=True)
    min_gold = models.PositiveIntegerField(default=1)
    days = models.PositiveIntegerField(null=True, blank=True)
    feedback = models.CharField(max_length=1024, blank=True)
    enabled = models.BooleanField(default=True)
    # A reject rule made after its author saw how many it rejects now and said yes: no cap per
    # run. Without it, a run rejects at most REVIEW_AUTO_REJECT_MAX_PER_RUN assignments.
    confirmed = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    approved = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:
        if self.kind == self.Kind.APPROVE_GOLD:
            return f"Approve when gold accuracy ≥ {self.threshold}% (at least {self.min_gold} gold answers)"
        if self.kind == self.Kind.REJECT_GOLD:
            return f"Reject when gold accuracy < {self.threshold}% (at least {self.min_gold} gold answers)"
        return (
            f"Approve when submitted more than {self.days} day{'s' if self.days != 1 else ''} ago"
        )


class ScoreUpdate(models.Model):
    """Qualification scores computed from a batch's quality figures, previewed, then set as a
    Celery job. `changes` lists [{"worker_id", "current", "value"}]; each worker's result is a
    `ScoreUpdateOutcome`, so a redelivered task sets nobody twice."""

    class Source(models.TextChoices):
        GOLD = "gold", "Gold accuracy x 100"
        AGREEMENT = "agreement", "Agreement with the majority x 100"
        CROWD = "crowd", "Accuracy against the crowd-kit estimate x 100"

    class Status(models.TextChoices):
        PREVIEW = "preview"
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    batch = models.ForeignKey("batches.Batch", on_delete=models.CASCADE, related_name="+")
    qualification_type = models.ForeignKey(
        "qualifications.QualificationType", on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    method = models.CharField(max_length=20, blank=True)
    changes = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"score update {self.pk} of {len(self.changes)}"


class ScoreUpdateOutcome(models.Model):
    update = models.ForeignKey(ScoreUpdate, on_delete=models.CASCADE, related_name="outcomes")
    worker_id = models.CharField(max_length=64)
    ok = models.BooleanField()
    message = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["update", "worker_id"], name="score_update_outcome_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker_id}: {'set' if self.ok else 'failed'}"


class RedundancyRule(models.Model):
    """Adaptive redundancy on one batch: HITs whose answers agree less than `threshold` get
    `extra` more assignments, up to `max_per_hit` in all and `cost_cap` dollars for the batch
    (rewards and fees), as the person who made the rule. Run every few minutes by the
    `review-redundancy` beat task; see `apps.review.quality.redundancy`."""

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    batch = models.OneToOneField(
        "batches.Batch", on_delete=models.CASCADE, related_name="redundancy_rule"
    )
    # Per-item agreement (0..1) under which a HIT is asked again.
    threshold = models.FloatField()
    extra = models.PositiveSmallIntegerField()
    max_per_hit = models.PositiveSmallIntegerField()
    cost_cap = models.DecimalField(max_digits=12, decimal_places=2)
    spent = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    hits_extended = models.PositiveIntegerField(default=0)
    assignments_added = models.PositiveIntegerField(default=0)
    last_note = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:
        return (
            f"Below {round(self.threshold * 100)}% agreement: {self.extra} more assignment"
            f"{'s' if self.extra != 1 else ''}, up to {self.max_per_hit} per HIT, "
            f"${self.cost_cap:.2f} in all"
        )
