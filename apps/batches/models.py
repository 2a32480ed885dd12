"""Projects (a question template and HIT properties), batches made from a CSV, their rows, and
the bulk actions run on a batch's HITs.

A batch's state machine is the `TRANSITIONS` table below; every move is a compare-and-set
(`batch_transition`), so double clicks and redelivered tasks cannot move a batch twice.
"""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models


class QuestionKind(models.TextChoices):
    HTML = "html", "HTML template (HTMLQuestion)"
    EXTERNAL = "external", "External URL (ExternalQuestion)"
    QUESTIONFORM = "questionform", "QuestionForm XML"


# A project's question and HIT properties: what its form edits beside the name, and what a
# copy takes with it (with the requirements and gold answers, which have their own fields).
PROJECT_HIT_FIELDS = (
    "question_kind",
    "template",
    "frame_height",
    "title",
    "description",
    "keywords",
    "reward",
    "max_assignments",
    "lifetime",
    "assignment_duration",
    "auto_approval_delay",
    "annotation",
    "split_assignments",
    "worker_cap",
)


class ProjectKind(models.TextChoices):
    TASK = "task", "Task (a template and a CSV)"
    # A survey hosted elsewhere, with a completion code (apps/studies).
    STUDY = "study", "Study (a survey link and a completion code)"


class Project(models.Model):
    """What every HIT of a batch shares: the question template and the HIT properties."""

    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=100)
    question_kind = models.CharField(
        max_length=20, choices=QuestionKind.choices, default=QuestionKind.HTML
    )
    template = models.TextField(
        help_text="With ${column} placeholders, filled from each CSV row. ${column|raw} inserts "
        "the value unescaped."
    )
    frame_height = models.PositiveIntegerField(
        default=0, help_text="Pixels; 0 lets MTurk fit the frame to the window."
    )
    title = models.CharField(max_length=128)
    description = models.CharField(max_length=2000)
    keywords = models.CharField(max_length=1000, blank=True)
    reward = models.DecimalField(max_digits=10, decimal_places=2)
    max_assignments = models.PositiveIntegerField(default=1, verbose_name="Assignments per HIT")
    lifetime = models.PositiveIntegerField(default=3 * 86400, help_text="seconds")
    assignment_duration = models.PositiveIntegerField(
        default=3600, help_text="seconds", verbose_name="Time allotted"
    )
    auto_approval_delay = models.PositiveIntegerField(default=3 * 86400, help_text="seconds")
    # In MTurk's wire shape: [{"QualificationTypeId", "Comparator", "IntegerValues" | ...}]
    qualification_requirements = models.JSONField(default=list, blank=True)
    annotation = models.CharField(max_length=200, blank=True, verbose_name="Requester annotation")
    # Gold questions: {answer field: CSV column holding its right answer}. Rows with a value in
    # the column are scored against it (apps/review/quality/gold.py); the template must not show it.
    gold_fields = models.JSONField(default=dict, blank=True)
    # The gallery's starter project it began as (apps/batches/starters), "" for a blank one.
    starter = models.CharField(max_length=60, blank=True)
    kind = models.CharField(max_length=10, choices=ProjectKind.choices, default=ProjectKind.TASK)
    # A row needing 10 or more assignments is published as several HITs of at most 9 (MTurk's
    # commission is 20% below 10 assignments, 40% from 10), which a worker takes one of.
    split_assignments = models.BooleanField(
        default=True,
        verbose_name="Publish 10 or more assignments as HITs of at most 9",
        help_text="MTurk's fee is 20% of the reward on HITs with fewer than 10 assignments and "
        "40% from 10. A row asking for more is published as several HITs of at most 9, and a "
        "worker can take only one of them.",
    )
    # At most this many assignments of one batch per worker (None: no cap), counted from the
    # work they submitted: MTurk names no worker for an assignment still being worked on.
    worker_cap = models.PositiveIntegerField(
        null=True,
        blank=True,
        verbose_name="At most this many assignments per worker",
        help_text="In each batch, counted from the work a worker submitted; empty for no cap. "
        "A worker who reaches it is granted the batch's cap qualification, which its HITs "
        "require to be absent.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "name"], name="batches_project_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class BatchStatus(models.TextChoices):
    CHECKING = "checking", "Checking the CSV"
    INVALID = "invalid", "CSV has errors"
    VALIDATED = "validated", "Ready to launch"
    LAUNCHING = "launching", "Launching"
    LAUNCHED = "launched", "Launched"
    CANCELLING = "cancelling", "Cancelling"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Launch stopped"


# Where a batch may go from each state. Anything else is refused.
TRANSITIONS: dict[str, set[str]] = {
    BatchStatus.CHECKING: {BatchStatus.VALIDATED, BatchStatus.INVALID},
    BatchStatus.INVALID: set(),
    BatchStatus.VALIDATED: {BatchStatus.LAUNCHING},
    BatchStatus.LAUNCHING: {BatchStatus.LAUNCHED, BatchStatus.CANCELLING, BatchStatus.FAILED},
    # Retrying failed rows launches again.
    BatchStatus.LAUNCHED: {BatchStatus.LAUNCHING},
    BatchStatus.FAILED: {BatchStatus.LAUNCHING, BatchStatus.CANCELLING},
    BatchStatus.CANCELLING: {BatchStatus.CANCELLED},
    BatchStatus.CANCELLED: set(),
}


def batch_transition(batch: Batch, to: str, **fields) -> bool:
    """Move the batch to `to` if it is still where we saw it; True when this call moved it."""
    if to not in TRANSITIONS[batch.status]:
        return False
    moved = Batch.objects.filter(pk=batch.pk, status=batch.status).update(status=to, **fields)
    if moved:
        batch.status = to
        for name, value in fields.items():
            setattr(batch, name, value)
    return bool(moved)


class InputStorage(FileSystemStorage):
    """Uploaded CSVs under VAR_DIR/batches, read from the settings at each use (not at import),
    so that a changed VAR_DIR (tests, several installations) is honoured."""

    @property
    def base_location(self) -> str:
        return str(settings.VAR_DIR / "batches")

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def _input_storage() -> FileSystemStorage:
    return InputStorage()


def _launch_key() -> str:
    return secrets.token_hex(6)


class Batch(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="batches")
    requester = models.ForeignKey(
        "requesters.Requester", on_delete=models.CASCADE, related_name="batches"
    )
    name = models.CharField(max_length=100)
    status = models.CharField(
        max_length=20, choices=BatchStatus.choices, default=BatchStatus.VALIDATED, db_index=True
    )
    input_file = models.FileField(storage=_input_storage, upload_to="inputs/%Y/%m/")
    input_name = models.CharField(max_length=255, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=4, blank=True)
    columns = models.JSONField(default=list, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    # The CSV check: {"errors": [...], "warnings": [...], "notices": [...]}
    report = models.JSONField(default=dict, blank=True)
    # Random per batch: part of every row's UniqueRequestToken and annotation marker, so that two
    # installations (or a test database reset) never reuse each other's tokens.
    launch_key = models.CharField(max_length=12, default=_launch_key, editable=False)
    hit_type_mturk_id = models.CharField(max_length=64, blank=True)
    # The HIT properties as launched (copied from the project at launch, so later edits of the
    # project do not change what a running launch sends).
    launch_properties = models.JSONField(default=dict, blank=True)
    estimate = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    estimate_fees = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    error = models.TextField(blank=True)
    expire_on_cancel = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    launch_started_at = models.DateTimeField(null=True, blank=True)
    launch_finished_at = models.DateTimeField(null=True, blank=True)
    # Gradual release (apps/batches/waves.py): HITs published `wave_size` at a time, the next
    # wave when the last is `wave_done_percent` done or every `wave_every_minutes`.
    wave_size = models.PositiveIntegerField(null=True, blank=True, verbose_name="HITs per wave")
    wave_done_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    wave_every_minutes = models.PositiveIntegerField(null=True, blank=True)
    waves_paused = models.BooleanField(default=False)
    # Assignments each row asks for (None: the project's "Assignments per HIT"); a study's one
    # row asks for its participants.
    assignments_per_row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return self.name

    @property
    def can_launch(self) -> bool:
        """A first launch, or a stopped one resumed (a launched batch retries rows instead)."""
        return self.status in (BatchStatus.VALIDATED, BatchStatus.FAILED)


class RowStatus(models.TextChoices):
    # Waiting for its wave of a gradual release: a launch leaves it alone until then.
    HELD = "held", "Waiting for its wave"
    PENDING = "pending", "Pending"
    CREATING = "creating", "Creating"
    CREATED = "created", "Created"
    FAILED = "failed", "Failed"


class BatchRow(models.Model):
    """One CSV row, one HIT. Its UniqueRequestToken is committed before the CreateHIT call."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows")
    index = models.PositiveIntegerField(help_text="0 for the first data row")
    # The row's number in a spreadsheet (the header is row 1), as error messages name it.
    source_row = models.PositiveIntegerField(default=0)
    values = models.JSONField(default=dict)
    unique_request_token = models.CharField(max_length=64, blank=True)
    token_issued_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=RowStatus.choices, default=RowStatus.PENDING, db_index=True
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    hit = models.ForeignKey(
        "hits.HIT", null=True, blank=True, on_delete=models.SET_NULL, related_name="batch_rows"
    )
    hit_mturk_id = models.CharField(max_length=64, blank=True)
    created_at_mturk = models.DateTimeField(null=True, blank=True)
    # A CSV row needing more assignments than one HIT of at most 9 gives is several BatchRows
    # (its parts, numbered from 1; 0 for a row published whole), sharing `source_row`/`values`.
    part = models.PositiveSmallIntegerField(default=0)
    # This part's MaxAssignments (None: the project's).
    assignments = models.PositiveIntegerField(null=True, blank=True)
    # The HIT type of a part whose HITs require their own sibling qualification ("" for the
    # batch's HIT type).
    hit_type_mturk_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["batch", "index"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "index"], name="batches_row_unique_index")
        ]
        indexes = [models.Index(fields=["batch", "status", "index"])]

    def __str__(self) -> str:
        return f"row {self.index} of batch {self.batch_id}"


class BatchWave(models.Model):
    """One wave of a gradual release: the rows (by index) it moved from held to pending."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="waves")
    number = models.PositiveIntegerField()
    rows = models.PositiveIntegerField(default=0)
    first_index = models.PositiveIntegerField(default=0)
    last_index = models.PositiveIntegerField(default=0)
    released_at = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Why it was released: "launch", "done" (the last wave was far enough along), "timer",
    # or "manual".
    reason = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["batch", "number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "number"], name="batches_wave_unique_number")
        ]

    def __str__(self) -> str:
        return f"wave {self.number} of batch {self.batch_id}"


class ActionKind(models.TextChoices):
    EXPIRE = "expire", "Expire now"
    EXTEND = "extend", "Extend the lifetime"
    ADD_ASSIGNMENTS = "add_assignments", "Add assignments"
    DELETE = "delete", "Delete finished HITs"


class ActionStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    # The person who started it may no longer take HIT actions on the account.
    STOPPED = "stopped", "Stopped"


class BatchAction(models.Model):
    """One bulk action on some or all HITs of a batch, run as a Celery job."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=20, choices=ActionKind.choices)
    # extend: {"seconds": n}; add_assignments: {"assignments": n}
    params = models.JSONField(default=dict, blank=True)
    hit_ids = models.JSONField(default=list, help_text="primary keys of apps.hits HIT rows")
    # Part of the UniqueRequestToken of CreateAdditionalAssignmentsForHIT for each HIT.
    key = models.CharField(max_length=12, default=_launch_key, editable=False)
    status = models.CharField(
        max_length=20, choices=ActionStatus.choices, default=ActionStatus.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # {HIT id: error} for the HITs where MTurk refused.
    errors = models.JSONField(default=dict, blank=True)
    # HIT pks already handled, so that a redelivered task carries on where it stopped.
    handled = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on batch {self.batch_id}"
