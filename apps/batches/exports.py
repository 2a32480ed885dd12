"""A batch's results in MTurk's batch-results CSV format, and as JSON Lines.

One line per assignment, streamed from one query with `.iterator()`: memory stays constant
however many rows. Cells pass through `mturkdash.exports` (formula neutralising).

Answers of a crowd-form come three ways: flattened into `Answer.<field>` columns
(`Answer.box.boundingBoxes.0.left`), as MTurk's own file has them in `Answer.taskAnswers` (the
JSON exactly as the worker's form sent it), and, in JSON Lines, as the `taskAnswers` object whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from apps.batches.models import Batch, BatchRow
from apps.hits.models import Assignment, AssignmentStatus
from apps.mturk.answers import CROWD_FIELD, task_answers_text

HEADER = [
    "HITId",
    "HITTypeId",
    "Title",
    "Description",
    "Keywords",
    "Reward",
    "CreationTime",
    "MaxAssignments",
    "RequesterAnnotation",
    "AssignmentDurationInSeconds",
    "AutoApprovalDelayInSeconds",
    "Expiration",
    "NumberOfSimilarHITs",
    "LifetimeInSeconds",
    "AssignmentId",
    "WorkerId",
    "AssignmentStatus",
    "AcceptTime",
    "SubmitTime",
    "AutoApprovalTime",
    "ApprovalTime",
    "RejectionTime",
    "RequesterFeedback",
    "WorkTimeInSeconds",
    "LifetimeApprovalRate",
    "Last30DaysApprovalRate",
    "Last7DaysApprovalRate",
]
_FIELDS = [
    "hit__mturk_id",
    "hit__hit_type_mturk_id",
    "hit__hit_type__title",
    "hit__hit_type__description",
    "hit__hit_type__keywords",
    "hit__reward",
    "hit__created_at_mturk",
    "hit__max_assignments",
    "hit__annotation",
    "hit__hit_type__assignment_duration",
    "hit__hit_type__auto_approval_delay",
    "hit__expiration",
    "hit__assignments__mturk_id",
    "hit__assignments__worker_id",
    "hit__assignments__status",
    "hit__assignments__accept_time",
    "hit__assignments__submit_time",
    "hit__assignments__auto_approval_time",
    "hit__assignments__approval_time",
    "hit__assignments__rejection_time",
    "hit__assignments__requester_feedback",
    "hit__assignments__answers",
    "values",
    "hit__assignments__answer_xml",
    "hit__assignments__task_answers",
]


def _time(value: datetime | None) -> str:
    # MTurk's own results file writes times like "Mon Nov 23 15:25:28 UTC 2026".
    return value.astimezone(UTC).strftime("%a %b %d %H:%M:%S UTC %Y") if value else ""


def answer_fields(batch: Batch) -> list[str]:
    """Every answer field name in the batch's assignments (one pass, constant memory)."""
    names: dict[str, None] = {}
    assignments = Assignment.objects.filter(hit__batch_rows__batch=batch)
    for item in assignments.values_list("answers", flat=True).iterator(chunk_size=2000):
        for name in item or {}:
            names.setdefault(name, None)
    if assignments.filter(task_answers__isnull=False).exists():
        names.setdefault(CROWD_FIELD, None)
    return sorted(names)


def _rate(approved: int, decided: int) -> str:
    if not decided:
        return "0% (0/0)"
    return f"{round(100 * approved / decided)}% ({approved}/{decided})"


def _approval_rates(batch: Batch) -> dict[str, tuple[str, str, str]]:
    """Per worker of the batch: approval rates on this account, lifetime / 30 / 7 days."""
    now = timezone.now()
    decided = Q(status__in=[AssignmentStatus.APPROVED, AssignmentStatus.REJECTED])
    approved = Q(status=AssignmentStatus.APPROVED)
    last30 = Q(submit_time__gte=now - timedelta(days=30))
    last7 = Q(submit_time__gte=now - timedelta(days=7))
    workers = Assignment.objects.filter(hit__batch_rows__batch=batch).values("worker_id")
    rows = (
        Assignment.objects.filter(requester=batch.requester, worker_id__in=workers)
        .values("worker_id")
        .annotate(
            approved=Count("id", filter=approved),
            decided=Count("id", filter=decided),
            approved30=Count("id", filter=approved & last30),
            decided30=Count("id", filter=decided & last30),
            approved7=Count("id", filter=approved & last7),
            decided7=Count("id", filter=decided & last7),
        )
    )
    return {
        r["worker_id"]: (
            _rate(r["approved"], r["decided"]),
            _rate(r["approved30"], r["decided30"]),
            _rate(r["approved7"], r["decided7"]),
        )
        for r in rows
    }


def _records(batch: Batch, answers: list[str]) -> Iterator[tuple[list, dict, dict, dict]]:
    """(the fixed columns, the row's input values, the flattened answers, the crowd-form's
    answers: `taskAnswers` as sent and `object` decoded, when the form was a crowd-form)."""
    lifetime = batch.launch_properties.get("lifetime", "")
    rates = _approval_rates(batch)
    rows = (
        BatchRow.objects.filter(batch=batch, hit__isnull=False, hit__assignments__isnull=False)
        .order_by("index", "hit__assignments__submit_time", "hit__assignments__id")
        .values_list(*_FIELDS)
    )
    for r in rows.iterator(chunk_size=1000):
        accept, submit = r[15], r[16]
        work = int((submit - accept).total_seconds()) if accept and submit else ""
        worker_rates = rates.get(r[13], ("", "", ""))
        base = [
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            f"${r[5]}",
            _time(r[6]),
            r[7],
            r[8],
            r[9],
            r[10],
            _time(r[11]),
            "",
            lifetime,
            r[12],
            r[13],
            r[14],
            _time(accept),
            _time(submit),
            _time(r[17]),
            _time(r[18]),
            _time(r[19]),
            r[20],
            work,
            *worker_rates,
        ]
        crowd = {}
        if r[24] is not None:
            crowd = {CROWD_FIELD: task_answers_text(r[23]), "object": r[24]}
        yield base, r[22] or {}, r[21] or {}, crowd


def results_rows(batch: Batch, answers: list[str]) -> Iterator[list]:
    for base, values, given, crowd in _records(batch, answers):
        cells = given | {CROWD_FIELD: crowd[CROWD_FIELD]} if crowd else given
        yield [
            *base,
            *(values.get(c, "") for c in batch.columns),
            *(cells.get(a, "") for a in answers),
            "",
            "",
        ]


def results_header(batch: Batch, answers: list[str]) -> list[str]:
    return [
        *HEADER,
        *(f"Input.{c}" for c in batch.columns),
        *(f"Answer.{a}" for a in answers),
        "Approve",
        "Reject",
    ]


def results_jsonl(batch: Batch) -> Iterator[str]:
    answers = answer_fields(batch)
    for base, values, given, crowd in _records(batch, answers):
        record = dict(zip(HEADER, base, strict=True))
        record["Input"] = {c: values.get(c, "") for c in batch.columns}
        record["Answer"] = given
        if crowd:
            record[CROWD_FIELD] = crowd["object"]
        yield json.dumps(record, default=str, ensure_ascii=False) + "\n"
