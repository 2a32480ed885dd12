"""State of the local MTurk.

Every requester-side object belongs to a `Customer` (one per access key id); lookups always
filter by customer, so one customer's ids answer as "does not exist" to another. Workers,
qualification scores and HIT layouts are global, as on MTurk.

Counters on `HIT` (`number_pending`, `number_completed`) are kept by the services in
`apps.emulator.engine.lifecycle` inside the same transaction that changes an assignment;
available is derived (`max_assignments - pending - completed`), so the three always add up.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models


class Customer(models.Model):
    """One requester account, identified by its AWS access key id."""

    access_key_id = models.CharField(max_length=128, unique=True)
    balance = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.access_key_id


class ClockState(models.Model):
    """Singleton row (pk=1): emulator time is real time plus `offset_seconds`."""

    offset_seconds = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"offset {self.offset_seconds}s"


class Worker(models.Model):
    """A simulated worker and the attributes the system qualifications read."""

    worker_id = models.CharField(max_length=64, unique=True)
    locale_country = models.CharField(max_length=2, default="US")
    locale_subdivision = models.CharField(max_length=2, blank=True, default="")
    adult = models.BooleanField(default=True)
    masters = models.BooleanField(default=False)
    # Added to the approved assignments the emulator has seen, for Worker_NumberHITsApproved.
    base_hits_approved = models.IntegerField(default=0)
    # None: computed from this worker's decided assignments (100 until there are any).
    percent_approved_override = models.IntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return self.worker_id


class HITLayout(models.Model):
    layout_id = models.CharField(max_length=64, unique=True)
    template = models.TextField()

    def __str__(self) -> str:
        return self.layout_id


class HITType(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    hit_type_id = models.CharField(max_length=64, unique=True)
    # sha256 of the canonical properties: identical properties share one HIT type.
    signature = models.CharField(max_length=64)
    title = models.CharField(max_length=128)
    description = models.TextField()
    keywords = models.TextField(blank=True, default="")
    reward = models.DecimalField(max_digits=12, decimal_places=2)
    assignment_duration = models.BigIntegerField()
    auto_approval_delay = models.BigIntegerField()
    qualification_requirements = models.JSONField(default=list)
    # ",ID1,ID2," of the required qualification types, for ListHITsForQualificationType.
    requirement_ids = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "signature"], name="hittype_signature")
        ]

    def __str__(self) -> str:
        return self.hit_type_id


class HIT(models.Model):
    class Status(models.TextChoices):
        ASSIGNABLE = "Assignable"
        UNASSIGNABLE = "Unassignable"
        REVIEWABLE = "Reviewable"
        REVIEWING = "Reviewing"
        DISPOSED = "Disposed"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    hit_id = models.CharField(max_length=64, unique=True)
    hit_type = models.ForeignKey(HITType, on_delete=models.PROTECT)
    hit_group_id = models.CharField(max_length=64)
    hit_layout_id = models.CharField(max_length=64, blank=True, default="")
    layout_parameters = models.JSONField(default=list)
    question = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()
    expiration = models.DateTimeField()
    max_assignments = models.IntegerField()
    requester_annotation = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    review_status = models.CharField(max_length=32, default="NotReviewed")
    number_pending = models.IntegerField(default=0)
    number_completed = models.IntegerField(default=0)
    # True once the HITExpired transition ran for the current expiration.
    expiry_processed = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)
    assignment_review_policy = models.JSONField(null=True, blank=True)
    hit_review_policy = models.JSONField(null=True, blank=True)
    # Last approval or rejection, for the 120-day disposal.
    last_decision_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["customer", "deleted", "id"]),
            models.Index(fields=["expiry_processed", "expiration"]),
        ]

    def __str__(self) -> str:
        return self.hit_id

    @property
    def number_available(self) -> int:
        return max(0, self.max_assignments - self.number_pending - self.number_completed)


class Assignment(models.Model):
    class Status(models.TextChoices):
        ACCEPTED = "Accepted"
        SUBMITTED = "Submitted"
        APPROVED = "Approved"
        REJECTED = "Rejected"
        RETURNED = "Returned"
        ABANDONED = "Abandoned"

    # Only these are visible through the requester API.
    VISIBLE = (Status.SUBMITTED, Status.APPROVED, Status.REJECTED)

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    assignment_id = models.CharField(max_length=64, unique=True)
    hit = models.ForeignKey(HIT, on_delete=models.CASCADE, related_name="assignments")
    worker_id = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    accept_time = models.DateTimeField()
    deadline = models.DateTimeField()
    submit_time = models.DateTimeField(null=True, blank=True)
    auto_approval_time = models.DateTimeField(null=True, blank=True)
    approval_time = models.DateTimeField(null=True, blank=True)
    rejection_time = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True, default="")
    requester_feedback = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["status", "deadline"]),
            models.Index(fields=["status", "auto_approval_time"]),
            models.Index(fields=["hit", "status"]),
        ]

    def __str__(self) -> str:
        return self.assignment_id


class QualificationType(models.Model):
    """A qualification type; `customer` is None for MTurk's system types."""

    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE)
    qualification_type_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    description = models.TextField()
    keywords = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, default="Active")
    retry_delay = models.BigIntegerField(null=True, blank=True)
    test = models.TextField(blank=True, default="")
    answer_key = models.TextField(blank=True, default="")
    test_duration = models.BigIntegerField(null=True, blank=True)
    auto_granted = models.BooleanField(default=False)
    auto_granted_value = models.IntegerField(null=True, blank=True)
    is_requestable = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    deleted = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.qualification_type_id})"


class Qualification(models.Model):
    """A score of one worker for one (requester-owned) qualification type."""

    qualification_type = models.ForeignKey(QualificationType, on_delete=models.CASCADE)
    worker_id = models.CharField(max_length=64)
    integer_value = models.IntegerField(null=True, blank=True)
    locale_country = models.CharField(max_length=2, blank=True, default="")
    locale_subdivision = models.CharField(max_length=2, blank=True, default="")
    status = models.CharField(max_length=16, default="Granted")
    grant_time = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["qualification_type", "worker_id"], name="qualification_worker"
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.qualification_type_id}"


class QualificationRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "Pending"
        ACCEPTED = "Accepted"
        REJECTED = "Rejected"

    request_id = models.CharField(max_length=64, unique=True)
    qualification_type = models.ForeignKey(QualificationType, on_delete=models.CASCADE)
    worker_id = models.CharField(max_length=64)
    test = models.TextField(blank=True, default="")
    answer = models.TextField(blank=True, default="")
    submit_time = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return self.request_id


class WorkerBlock(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    worker_id = models.CharField(max_length=64)
    reason = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "worker_id"], name="block_worker")
        ]

    def __str__(self) -> str:
        return self.worker_id


class BonusPayment(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE)
    worker_id = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    fee = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    reason = models.TextField()
    grant_time = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.amount} to {self.worker_id}"


class RequestToken(models.Model):
    """A UniqueRequestToken seen for one customer and operation family, kept 24 hours."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    # "CreateHIT" (both CreateHIT operations), "SendBonus", "CreateAdditionalAssignmentsForHIT".
    kind = models.CharField(max_length=64)
    token = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    request_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind", "token"], name="request_token")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.token}"


class WorkerNotification(models.Model):
    """A message sent with NotifyWorkers (to the workers it could reach)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    subject = models.TextField()
    message_text = models.TextField()
    worker_ids = models.JSONField(default=list)
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.subject


class NotificationSetting(models.Model):
    hit_type = models.OneToOneField(HITType, on_delete=models.CASCADE)
    destination = models.TextField()
    transport = models.CharField(max_length=8)
    version = models.CharField(max_length=32)
    event_types = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    # Events recorded up to this Event pk happened before these settings: never sent with them.
    since_event_pk = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.transport} {self.destination}"


class Event(models.Model):
    """Outbox of life-cycle events (HITCreated, AssignmentSubmitted, ...), delivered by part 2.

    Written in the same transaction as the transition it records; `delivered_at` stays empty
    until a deliverer claims it with a compare-and-set update.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    event_type = models.CharField(max_length=32)
    event_time = models.DateTimeField()
    hit_id = models.CharField(max_length=64, blank=True, default="")
    hit_type_id = models.CharField(max_length=64, blank=True, default="")
    assignment_id = models.CharField(max_length=64, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Delivery (apps.emulator.delivery): "" pending, then sent / skipped / undeliverable.
    delivery = models.CharField(max_length=16, blank=True, default="")
    # EventDocId, fixed at the first attempt so retries and duplicates carry the same one.
    doc_id = models.CharField(max_length=64, blank=True, default="")
    attempts = models.IntegerField(default=0)
    # Real (not emulator) time before which the sender leaves it alone (backoff, reordering).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    # {"Destination", "Transport", "Version"} of the settings in force when the event happened,
    # fixed when those settings change before it was sent (else the current settings apply).
    bound_to = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["delivered_at", "id"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.hit_id} {self.assignment_id}".strip()


class CrowdTruth(models.Model):
    """The right answers of a HIT for the simulated crowd (`POST /_emulator/crowd/truth`):
    field name -> list of values. Without one, the crowd draws a truth from the question."""

    hit = models.OneToOneField(HIT, on_delete=models.CASCADE, related_name="crowd_truth")
    answers = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"truth of {self.hit_id}"


class UploadedFile(models.Model):
    """A file a worker uploaded for a QuestionForm's FileUploadAnswer (read back through
    GetFileUploadURL, whose URL works for 60 seconds)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="uploads")
    question_identifier = models.CharField(max_length=255)
    key = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255, blank=True, default="")
    content_type = models.CharField(max_length=255, blank=True, default="")
    size = models.BigIntegerField()
    content = models.BinaryField()
    uploaded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.question_identifier} of {self.assignment_id}"


class ReviewResult(models.Model):
    """One computed value of a review policy (ListReviewPolicyResultsForHIT's ReviewResults)."""

    hit = models.ForeignKey(HIT, on_delete=models.CASCADE, related_name="review_results")
    level = models.CharField(max_length=16)  # Assignment | HIT
    action_id = models.CharField(max_length=64, blank=True, default="")
    subject_id = models.CharField(max_length=64)
    subject_type = models.CharField(max_length=16)  # Assignment | HIT
    question_id = models.CharField(max_length=255, blank=True, default="")
    key = models.CharField(max_length=64)
    value = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"{self.subject_id} {self.key}={self.value}"


class ReviewAction(models.Model):
    """An action a review policy took or meant to take (approve, reject, extend)."""

    hit = models.ForeignKey(HIT, on_delete=models.CASCADE, related_name="review_actions")
    level = models.CharField(max_length=16)  # Assignment | HIT
    action_id = models.CharField(max_length=64, unique=True)
    action_name = models.CharField(max_length=32)
    target_id = models.CharField(max_length=64)
    target_type = models.CharField(max_length=16)
    status = models.CharField(max_length=16)  # Intended | Succeeded | Failed | Cancelled
    complete_time = models.DateTimeField(null=True, blank=True)
    result = models.TextField(blank=True, default="")
    error_code = models.CharField(max_length=128, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.action_name} {self.target_id} {self.status}"


class Survey(models.Model):
    """A small outside survey the local MTurk serves at `/survey/<key>/` (a stand-in for
    Qualtrics and the like): questions, then an end page with a completion code. See
    `apps.emulator.engine.surveys` for the codes."""

    class CodeMode(models.TextChoices):
        FIXED = "fixed"
        HMAC = "hmac"
        LIST = "list"

    key = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    # [{"name", "kind": scale | choice | text, "label", "required", "min"/"max" | "options"}]
    questions = models.JSONField(default=list)
    code_mode = models.CharField(max_length=8, choices=CodeMode.choices)
    code = models.CharField(max_length=64, blank=True, default="")
    secret = models.CharField(max_length=256, blank=True, default="")
    codes = models.JSONField(default=list)
    # The URL parameters the survey reads the worker id and the assignment id from.
    worker_param = models.CharField(max_length=64, default="workerId")
    assignment_param = models.CharField(max_length=64, default="assignmentId")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} {self.title}"


class SurveyCodeGrant(models.Model):
    """A list survey's code given to a worker: each code goes to one worker only, and a worker
    who comes back gets the same one (both unique constraints hold it under concurrency)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="grants")
    worker_id = models.CharField(max_length=128)
    code = models.CharField(max_length=64)
    granted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "worker_id"], name="surveygrant_worker"),
            models.UniqueConstraint(fields=["survey", "code"], name="surveygrant_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} to {self.worker_id}"


class SurveyResponse(models.Model):
    """One completed visit of a survey: who (from the URL), the answers, the code shown ("" when
    none could be: a list used up)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    worker_id = models.CharField(max_length=128)
    assignment_id = models.CharField(max_length=128, blank=True, default="")
    answers = models.JSONField(default=dict)
    code = models.CharField(max_length=64, blank=True, default="")
    answered_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["survey", "id"])]

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.survey_id}"
