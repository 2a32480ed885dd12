"""Worker actions: blocks and messages. Each checks the role, calls MTurk
through the gateway, mirrors the result and writes an audit event."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.audit.services import audit_record
from apps.mturk.errors import MTurkError
from apps.mturk.ids import worker_id_clean
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require, requester_gateway
from apps.workers.models import WorkerBlock, WorkerMessage

SUBJECT_MAX = 200
TEXT_MAX = 4096
NOTIFY_CHUNK = 100


def worker_block(*, membership: Membership, actor, worker_id: str, reason: str) -> WorkerBlock:
    """A hard block: the worker can no longer accept this account's HITs (CreateWorkerBlock)."""
    membership_require(membership, Action.WORKERS)
    worker_id = worker_id_clean(worker_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason for the block (MTurk requires one).")
    requester_gateway(membership.requester).call(
        "create_worker_block", WorkerId=worker_id, Reason=reason
    )
    now = timezone.now()
    block, _ = WorkerBlock.objects.update_or_create(
        requester=membership.requester,
        worker_id=worker_id,
        defaults={
            "reason": reason,
            "raw": {"WorkerId": worker_id, "Reason": reason},
            "synced_at": now,
            "blocked_at": now,
        },
    )
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="worker.block",
        target_type="worker",
        target_id=worker_id,
        details={"reason": reason},
    )
    return block


def worker_unblock(*, membership: Membership, actor, worker_id: str, reason: str = "") -> None:
    membership_require(membership, Action.WORKERS)
    worker_id = worker_id_clean(worker_id)
    params = {"WorkerId": worker_id}
    if reason:
        params["Reason"] = reason
    requester_gateway(membership.requester).call("delete_worker_block", **params)
    WorkerBlock.objects.filter(requester=membership.requester, worker_id=worker_id).delete()
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="worker.unblock",
        target_type="worker",
        target_id=worker_id,
        details={"reason": reason},
    )


def workers_message(
    *, membership: Membership, actor, worker_ids: list[str], subject: str, text: str
) -> WorkerMessage:
    """NotifyWorkers in chunks of 100 (MTurk's limit per call); per-worker failures are kept on
    the message. A chunk MTurk refuses outright (after the gateway's retries) counts its workers
    as failed with MTurk's error, and the other chunks are still sent: a send that reached some
    workers is always recorded, so it is never repeated to them by mistake."""
    membership_require(membership, Action.WORKERS)
    ids = sorted({worker_id_clean(w) for w in worker_ids if w.strip()})
    subject, text = (subject or "").strip(), (text or "").strip()
    if not ids:
        raise ValidationError("Name at least one worker.")
    if not subject or len(subject) > SUBJECT_MAX:
        raise ValidationError(f"The subject is required and at most {SUBJECT_MAX} characters.")
    if not text or len(text) > TEXT_MAX:
        raise ValidationError(f"The message is required and at most {TEXT_MAX} characters.")
    gateway = requester_gateway(membership.requester)
    failures: dict[str, str] = {}
    for start in range(0, len(ids), NOTIFY_CHUNK):
        chunk = ids[start : start + NOTIFY_CHUNK]
        try:
            response = gateway.call(
                "notify_workers", Subject=subject, MessageText=text, WorkerIds=chunk
            )
        except MTurkError as exc:
            failures.update(
                dict.fromkeys(chunk, f"MTurk refused the call for this part of the list: {exc}")
            )
            continue
        for failure in response.get("NotifyWorkersFailureStatuses", []):
            failures[failure["WorkerId"]] = failure.get(
                "NotifyWorkersFailureMessage", failure.get("NotifyWorkersFailureCode", "")
            )
    message = WorkerMessage.objects.create(
        requester=membership.requester,
        sent_by=actor,
        subject=subject,
        text=text,
        worker_ids=ids,
        failures=failures,
    )
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="worker.message",
        target_type="message",
        target_id=message.pk,
        details={
            "workers": len(ids),
            "sent": len(ids) - len(failures),
            "failed": len(failures),
            "subject": subject,
        },
    )
    return message
