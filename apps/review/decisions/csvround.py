"""The review CSV round trip, as on the Requester website: download the assignments with empty
`Approve` and `Reject` columns, mark each row (`x` or a comment to approve, a reason to reject),
upload, check the preview, apply as a bulk job."""

from __future__ import annotations

import csv
import io

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from apps.hits.models import Assignment, AssignmentStatus
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require
from apps.review.decisions.bulk import items_clean
from apps.review.decisions.services import feedback_clean
from apps.review.models import BulkReview
from mturkdash.csvupload import upload_text

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
FIXED = [
    "AssignmentId",
    "HITId",
    "HITTypeId",
    "WorkerId",
    "AssignmentStatus",
    "SubmitTime",
    "AutoApprovalTime",
]


def review_csv_header_and_rows(assignments: QuerySet[Assignment]):
    fields = sorted(
        {
            key
            for answers in assignments.values_list("answers", flat=True).iterator()
            for key in answers
        }
    )
    header = [*FIXED, *[f"Answer.{f}" for f in fields], "Approve", "Reject"]

    def rows():
        for a in assignments.select_related("hit").iterator(chunk_size=1000):
            values = [
                a.mturk_id,
                a.hit.mturk_id,
                a.hit.hit_type_mturk_id,
                a.worker_id,
                a.status,
                a.submit_time.isoformat() if a.submit_time else "",
                a.auto_approval_time.isoformat() if a.auto_approval_time else "",
            ]
            for f in fields:
                value = a.answers.get(f, "")
                values.append("|".join(value) if isinstance(value, list) else value)
            yield [*values, "", ""]

    return header, rows()


def review_csv_import(*, membership: Membership, actor, upload) -> BulkReview:
    """Read an uploaded review CSV into a previewed job: rows to apply and rows with problems."""
    membership_require(membership, Action.REVIEW)
    text = upload_text(upload, max_bytes=MAX_UPLOAD_BYTES)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = {"AssignmentId", "Approve", "Reject"} - set(reader.fieldnames or [])
    if missing:
        raise ValidationError(f"The file has no {', '.join(sorted(missing))} column.")
    marked: list[tuple[int, str, str, str]] = []
    problems: list[dict] = []
    for number, row in enumerate(reader, start=2):
        approve, reject = (row.get("Approve") or "").strip(), (row.get("Reject") or "").strip()
        if not approve and not reject:
            continue
        if approve and reject:
            problems.append({"row": number, "error": "Both Approve and Reject are marked."})
            continue
        action, feedback = ("approve", approve) if approve else ("reject", reject)
        if feedback.lower() == "x":
            if action == "reject":
                problems.append(
                    {"row": number, "error": "A rejection needs a reason in the Reject column."}
                )
                continue
            feedback = ""
        try:
            feedback = feedback_clean(feedback, required=action == "reject")
        except ValidationError as exc:
            problems.append({"row": number, "error": " ".join(exc.messages)})
            continue
        marked.append((number, (row.get("AssignmentId") or "").strip(), action, feedback))
    known = {
        a.mturk_id: a
        for a in Assignment.objects.filter(
            requester=membership.requester, mturk_id__in=[m[1] for m in marked]
        )
    }
    items = []
    for number, mturk_id, action, feedback in marked:
        assignment = known.get(mturk_id)
        if assignment is None:
            problems.append(
                {"row": number, "error": f"No assignment {mturk_id!r} in this account."}
            )
        elif assignment.status == AssignmentStatus.APPROVED or (
            action == "reject" and assignment.status != AssignmentStatus.SUBMITTED
        ):
            problems.append({"row": number, "error": f"Already {assignment.status}."})
        else:
            items.append({"id": assignment.pk, "action": action, "feedback": feedback})
    return BulkReview.objects.create(
        requester=membership.requester,
        created_by=actor,
        source="csv",
        items=items_clean(items),
        total=len(items),
        problems=problems,
        status=BulkReview.Status.PREVIEW,
    )
