"""The worker CSV round trip, as on the Requester website.

Download the account's workers with their current scores; fill `UPDATE-<qualification name>`
(a value from 0 to 100, or `Revoke`) and `UPDATE-BlockStatus` (`Block` or `Unblock`); upload;
check the preview; apply.
"""

from __future__ import annotations

import csv
import io

from django.core.exceptions import PermissionDenied, ValidationError

from apps.mturk.errors import MTurkError
from apps.mturk.ids import worker_id_clean
from apps.qualifications import services as qualification_services
from apps.qualifications.models import QualificationScore, QualificationType
from apps.requesters.models import Membership, Requester
from apps.requesters.roles import Action
from apps.requesters.services import membership_require
from apps.workers import services
from apps.workers.models import Worker, WorkerBlock, WorkerUpdate
from mturkdash.csvupload import upload_text

MAX_BYTES = 10 * 1024 * 1024
LISTED = 20  # workers named per change on the check page; the rest are counted


def _types(requester: Requester) -> list[QualificationType]:
    return list(
        QualificationType.objects.filter(requester=requester, gone_at__isnull=True).order_by("name")
    )


def worker_csv_header_and_rows(requester: Requester):
    types = _types(requester)
    header = ["WorkerId", "Submitted", "Approved", "Rejected", "BlockStatus"]
    header += (
        [f"CURRENT-{t.name}" for t in types]
        + [f"UPDATE-{t.name}" for t in types]
        + ["UPDATE-BlockStatus"]
    )
    blocked = set(
        WorkerBlock.objects.filter(requester=requester).values_list("worker_id", flat=True)
    )
    scores: dict[tuple[str, int], int | None] = {
        (worker_id, type_id): value
        for worker_id, type_id, value in QualificationScore.objects.filter(
            requester=requester, status="Granted"
        ).values_list("worker_id", "qualification_type_id", "value")
    }

    def rows():
        for worker in (
            Worker.objects.filter(requester=requester)
            .order_by("worker_id")
            .iterator(chunk_size=2000)
        ):
            current = [scores.get((worker.worker_id, t.pk), "") for t in types]
            yield [
                worker.worker_id,
                worker.submitted,
                worker.approved,
                worker.rejected,
                "Blocked" if worker.worker_id in blocked else "",
                *["" if v is None else v for v in current],
                *[""] * len(types),
                "",
            ]

    return header, rows()


def worker_csv_read(
    *, membership: Membership, actor, upload, block_reason: str = ""
) -> WorkerUpdate:
    membership_require(membership, Action.WORKERS)
    text = upload_text(upload, max_bytes=MAX_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""))
    columns = next(reader, None) or []
    if "WorkerId" not in columns:
        raise ValidationError("The file has no WorkerId column.")
    by_name = {t.name: t for t in _types(membership.requester)}
    update_columns = [c for c in columns if c.startswith("UPDATE-") and c != "UPDATE-BlockStatus"]
    unknown = [c[len("UPDATE-") :] for c in update_columns if c[len("UPDATE-") :] not in by_name]
    if unknown:
        raise ValidationError(
            f"No qualification type named {', '.join(repr(n) for n in unknown)} in this account."
        )
    changes, problems = [], []
    # Rows are numbered as in a spreadsheet (the header is row 1), like every CSV check of the
    # project: each record counts, blank ones too, and a cell holding line breaks is one row.
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row = dict(zip(columns, cells, strict=False))
        try:
            worker_id = worker_id_clean(row.get("WorkerId", ""))
        except ValidationError as exc:
            problems.append({"row": number, "error": " ".join(exc.messages)})
            continue
        for column in update_columns:
            cell = (row.get(column) or "").strip()
            if not cell:
                continue
            qtype = by_name[column[len("UPDATE-") :]]
            change = {
                "row": number,
                "worker_id": worker_id,
                "type_id": qtype.pk,
                "name": qtype.name,
            }
            if cell.lower() == "revoke":
                changes.append({**change, "kind": "revoke"})
            elif cell.isdigit() and 0 <= int(cell) <= 100:
                changes.append({**change, "kind": "score", "value": int(cell)})
            else:
                problems.append(
                    {"row": number, "error": f"{column}: {cell!r} is not 0 to 100 or Revoke."}
                )
        block_cell = (row.get("UPDATE-BlockStatus") or "").strip()
        block = block_cell.lower()
        if block in {"block", "unblock"}:
            if block == "block" and not block_reason.strip():
                problems.append(
                    {"row": number, "error": "Blocking needs the reason given with the upload."}
                )
            else:
                changes.append({"row": number, "worker_id": worker_id, "kind": block})
        elif block:
            problems.append(
                {
                    "row": number,
                    "error": f"UPDATE-BlockStatus: {block_cell!r} is not Block or Unblock.",
                }
            )
    return WorkerUpdate.objects.create(
        requester=membership.requester,
        created_by=actor,
        block_reason=block_reason.strip(),
        changes=changes,
        problems=problems,
    )


def worker_update_groups(update: WorkerUpdate, *, listed: int = LISTED) -> list[dict]:
    """The update's changes grouped as the check page names them ("Block", "Set Trusted",
    "Revoke Trusted"), each with its count and the first `listed` workers it touches."""
    groups: dict[tuple, dict] = {}
    order = {"block": 0, "unblock": 1, "score": 2, "revoke": 3}
    for change in update.changes:
        kind = change["kind"]
        name = change.get("name", "")
        label = {
            "block": "Block",
            "unblock": "Unblock",
            "score": f"Set {name}",
            "revoke": f"Revoke {name}",
        }[kind]
        group = groups.setdefault(
            (order[kind], name, kind), {"kind": kind, "label": label, "count": 0, "workers": []}
        )
        group["count"] += 1
        if len(group["workers"]) < listed:
            group["workers"].append(
                {
                    "worker_id": change["worker_id"],
                    "value": change.get("value"),
                    "row": change["row"],
                }
            )
    result = [groups[key] for key in sorted(groups)]
    for group in result:
        group["more"] = group["count"] - len(group["workers"])
    return result


def worker_update_apply(*, membership: Membership, actor, update: WorkerUpdate) -> dict:
    """Apply every change once (a second apply finds the update no longer in preview)."""
    membership_require(membership, Action.WORKERS)
    if not WorkerUpdate.objects.filter(pk=update.pk, status=WorkerUpdate.Status.PREVIEW).update(
        status=WorkerUpdate.Status.APPLYING
    ):
        return update.results
    types = {t.pk: t for t in QualificationType.objects.filter(requester=membership.requester)}
    applied, errors = 0, []
    for change in update.changes:
        try:
            if change["kind"] == "score":
                qualification_services.worker_score_set(
                    membership=membership,
                    actor=actor,
                    worker_id=change["worker_id"],
                    qualification_type=types[change["type_id"]],
                    value=change["value"],
                )
            elif change["kind"] == "revoke":
                qualification_services.worker_score_revoke(
                    membership=membership,
                    actor=actor,
                    worker_id=change["worker_id"],
                    qualification_type=types[change["type_id"]],
                )
            elif change["kind"] == "block":
                services.worker_block(
                    membership=membership,
                    actor=actor,
                    worker_id=change["worker_id"],
                    reason=update.block_reason,
                )
            else:
                services.worker_unblock(
                    membership=membership, actor=actor, worker_id=change["worker_id"]
                )
            applied += 1
        except (ValidationError, MTurkError, PermissionDenied, KeyError) as exc:
            errors.append(
                {"row": change["row"], "error": " ".join(getattr(exc, "messages", [str(exc)]))}
            )
    results = {"applied": applied, "failed": len(errors), "errors": errors}
    WorkerUpdate.objects.filter(pk=update.pk).update(
        status=WorkerUpdate.Status.DONE, results=results
    )
    return results
