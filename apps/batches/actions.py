"""Bulk actions on a batch's HITs (expire, extend, add assignments, delete), run as Celery jobs.

A job records which HITs it has handled, so a redelivered task carries on where it stopped, and
every step may run twice without harm: an extension goes to a time fixed when the job was made,
and CreateAdditionalAssignmentsForHIT carries a token derived from the job's stored random key
and the HIT, so a repeated call cannot add the assignments twice.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime

from django.db.models import F
from django.utils import timezone

from apps.audit.services import audit_record
from apps.batches import commitments
from apps.batches.models import ActionKind, ActionStatus, BatchAction
from apps.hits.models import HIT
from apps.hits.upserts import hit_upsert_from_api
from apps.mturk.concurrency import Watch
from apps.mturk.errors import MTurkDuplicateRequest, MTurkError, MTurkNotFound
from apps.mturk.gateway import Gateway
from apps.requesters.access import still_allowed
from apps.requesters.roles import Action
from apps.requesters.services import requester_gateway

logger = logging.getLogger(__name__)

# Any time in the past expires a HIT at once.
_PAST = datetime(2015, 1, 1, tzinfo=UTC)


def action_token(action: BatchAction, hit: HIT) -> str:
    return f"mturkdash-add-{action.key}-{hit.pk}"


def action_assignments(action: BatchAction, hit: HIT) -> int:
    """How many assignments the job adds to this HIT: its own count, or the job's."""
    per_hit = action.params.get("per_hit") or {}
    return int(per_hit.get(str(hit.pk), action.params.get("assignments", 0)))


def _refresh(gateway: Gateway, hit: HIT) -> HIT:
    data = gateway.call("get_hit", HITId=hit.mturk_id)["HIT"]
    fresh, _ = hit_upsert_from_api(requester=hit.requester, data=data, fetched_at=timezone.now())
    return fresh


def _apply(action: BatchAction, gateway: Gateway, hit: HIT) -> None:
    if action.kind == ActionKind.EXPIRE:
        was_open = hit.expiration is None or hit.expiration > timezone.now()
        gateway.call("update_expiration_for_hit", HITId=hit.mturk_id, ExpireAt=_PAST)
        fresh = _refresh(gateway, hit)
        if was_open:
            commitments.untaken_assignments_release(action.batch, fresh, actor=action.created_by)
        return
    elif action.kind == ActionKind.EXTEND:
        gateway.call(
            "update_expiration_for_hit",
            HITId=hit.mturk_id,
            ExpireAt=datetime.fromisoformat(action.params["targets"][str(hit.pk)]),
        )
    elif action.kind == ActionKind.ADD_ASSIGNMENTS:
        # A duplicate means an earlier attempt of this job added them.
        with contextlib.suppress(MTurkDuplicateRequest):
            gateway.call(
                "create_additional_assignments_for_hit",
                HITId=hit.mturk_id,
                NumberOfAdditionalAssignments=action_assignments(action, hit),
                UniqueRequestToken=action_token(action, hit),
            )
    elif action.kind == ActionKind.DELETE:
        with contextlib.suppress(MTurkNotFound):
            gateway.call("delete_hit", HITId=hit.mturk_id)
        HIT.objects.filter(pk=hit.pk).update(gone_at=timezone.now())
        return
    _refresh(gateway, hit)


def _action_stop(action: BatchAction) -> None:
    who = action.created_by.get_username() if action.created_by else "the person who started it"
    stopped = BatchAction.objects.filter(
        pk=action.pk, status__in=[ActionStatus.QUEUED, ActionStatus.RUNNING]
    ).update(
        status=ActionStatus.STOPPED,
        finished_at=timezone.now(),
        error=f"Stopped: {who} may no longer take HIT actions for {action.batch.requester.name}.",
    )
    if stopped:
        audit_record(
            actor=None,
            requester=action.batch.requester,
            action="batch.action_stop",
            target_type="batch",
            target_id=action.batch_id,
            details={"action": action.kind, "by": who, "handled": len(action.handled)},
        )


def batch_action_run(action_id: int) -> None:
    """Run (or carry on) one bulk action, as long as its starter may still take HIT actions."""
    action = (
        BatchAction.objects.select_related("batch__requester", "created_by")
        .filter(pk=action_id)
        .first()
    )
    if action is None or action.status in (ActionStatus.DONE, ActionStatus.STOPPED):
        return
    BatchAction.objects.filter(pk=action.pk, status=ActionStatus.QUEUED).update(
        status=ActionStatus.RUNNING
    )
    allowed = Watch(
        lambda: still_allowed(
            user_id=action.created_by_id,
            requester_id=action.batch.requester_id,
            action=Action.LAUNCH,
        ),
        every=1.0,
    )
    gateway = requester_gateway(action.batch.requester)
    handled = set(action.handled)
    hits = HIT.objects.filter(pk__in=action.hit_ids).select_related("requester").order_by("pk")
    for hit in hits:
        if hit.pk in handled:
            continue
        if not allowed():
            _action_stop(action)
            return
        error = ""
        try:
            _apply(action, gateway, hit)
        except MTurkError as exc:
            error = str(exc)
            logger.info("batch action %s on %s: %s", action.pk, hit.mturk_id, exc)
        handled.add(hit.pk)
        action.handled = sorted(handled)
        if error:
            action.errors[hit.mturk_id] = error[:500]
        BatchAction.objects.filter(pk=action.pk).update(
            handled=action.handled,
            errors=action.errors,
            done=F("done") + (0 if error else 1),
            failed=F("failed") + (1 if error else 0),
        )
    BatchAction.objects.filter(pk=action.pk).update(
        status=ActionStatus.DONE, finished_at=timezone.now()
    )
