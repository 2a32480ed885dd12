from __future__ import annotations

from django.db import models


class NotificationMessage(models.Model):
    """One SQS message, stored raw before anything else happens to it."""

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    sqs_message_id = models.CharField(max_length=128, unique=True)
    body = models.TextField()
    sender_id = models.CharField(max_length=128, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Why the message was not accepted (not from MTurk, not JSON, ...); empty when accepted.
    refused = models.CharField(max_length=255, blank=True)
    exception = models.TextField(blank=True)
    traceback = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.sqs_message_id


class NotificationEvent(models.Model):
    """One event of a message. (event_doc_id, position) is unique: a duplicate delivery of the
    same EventDocId stores nothing new and is processed once."""

    message = models.ForeignKey(
        NotificationMessage, on_delete=models.CASCADE, related_name="events"
    )
    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="+"
    )
    event_doc_id = models.CharField(max_length=128)
    position = models.PositiveSmallIntegerField()
    event_type = models.CharField(max_length=40, db_index=True)
    event_timestamp = models.DateTimeField(null=True, blank=True)
    hit_type_mturk_id = models.CharField(max_length=64, blank=True)
    hit_mturk_id = models.CharField(max_length=64, blank=True, db_index=True)
    assignment_mturk_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    exception = models.TextField(blank=True)
    traceback = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_doc_id", "position"], name="notification_event_unique"
            )
        ]
        indexes = [models.Index(fields=["processed_at", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.hit_mturk_id} {self.assignment_mturk_id}".strip()
