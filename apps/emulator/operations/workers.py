"""Worker blocks and messages to workers."""

from __future__ import annotations

from django.db import transaction

from ..models import Assignment, WorkerBlock, WorkerNotification
from ..wire import errors
from . import constraints
from .common import paginate
from .context import Context


def create_worker_block(ctx: Context, params: dict) -> dict:
    reason = params["Reason"]
    if not reason.strip():
        raise errors.missing("Reason", "It must not be empty.")
    with transaction.atomic():
        WorkerBlock.objects.update_or_create(
            customer=ctx.customer,
            worker_id=params["WorkerId"],
            defaults={"reason": reason, "created_at": ctx.now},
        )
    return {}


def delete_worker_block(ctx: Context, params: dict) -> dict:
    with transaction.atomic():
        WorkerBlock.objects.filter(customer=ctx.customer, worker_id=params["WorkerId"]).delete()
    return {}


def list_worker_blocks(ctx: Context, params: dict) -> dict:
    items, meta = paginate(WorkerBlock.objects.filter(customer=ctx.customer), params)
    return {
        **meta,
        "WorkerBlocks": [{"WorkerId": item.worker_id, "Reason": item.reason} for item in items],
    }


def notify_workers(ctx: Context, params: dict) -> dict:
    """Stored as a `WorkerNotification` (seen through the control API). A worker whose work
    this requester never approved or rejected gets a HardFailure, as on MTurk."""
    subject = params["Subject"]
    message = params["MessageText"]
    worker_ids = params["WorkerIds"]
    if not subject.strip():
        raise errors.missing("Subject", "It must not be empty.")
    if not message.strip():
        raise errors.missing("MessageText", "It must not be empty.")
    if len(subject) > constraints.MAX_SUBJECT:
        raise errors.out_of_range(
            "Subject", f"must be at most {constraints.MAX_SUBJECT} characters"
        )
    if len(message) > constraints.MAX_MESSAGE:
        raise errors.out_of_range(
            "MessageText", f"must be at most {constraints.MAX_MESSAGE} characters"
        )
    if not worker_ids:
        raise errors.missing("WorkerIds", "Give at least one worker.")
    if len(worker_ids) > constraints.MAX_NOTIFY_WORKERS:
        raise errors.out_of_range(
            "WorkerIds", f"at most {constraints.MAX_NOTIFY_WORKERS} workers per call"
        )
    unique_ids = list(dict.fromkeys(worker_ids))
    worked = set(
        Assignment.objects.filter(
            customer=ctx.customer,
            worker_id__in=unique_ids,
            status__in=[Assignment.Status.APPROVED, Assignment.Status.REJECTED],
        ).values_list("worker_id", flat=True)
    )
    reachable = [worker_id for worker_id in unique_ids if worker_id in worked]
    failures = [
        {
            "NotifyWorkersFailureCode": "HardFailure",
            "NotifyWorkersFailureMessage": (
                f"Cannot send notification to {worker_id}: you can only notify workers whose "
                "work you have approved or rejected."
            ),
            "WorkerId": worker_id,
        }
        for worker_id in unique_ids
        if worker_id not in worked
    ]
    if reachable:
        WorkerNotification.objects.create(
            customer=ctx.customer,
            subject=subject,
            message_text=message,
            worker_ids=reachable,
            sent_at=ctx.now,
        )
    return {"NotifyWorkersFailureStatuses": failures}
