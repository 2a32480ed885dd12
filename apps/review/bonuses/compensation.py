"""Compensation HITs: paying a worker who has no assignment of ours to bonus.

A qualification type of its own is granted to that worker only; the HIT requires it to be
discovered, previewed and accepted, so nobody else sees it; its auto-approval delay is zero, so
MTurk pays the moment the worker submits. The HIT's UniqueRequestToken is committed first, so a
retry never makes a second HIT.
"""

from __future__ import annotations

import html
import uuid

from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.hits.upserts import hit_upsert_from_api
from apps.mturk import fees
from apps.mturk.errors import MTurkDuplicateRequest, MTurkError
from apps.mturk.ids import worker_id_clean
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require, requester_gateway, spend_authorize
from apps.review.bonuses.services import bonus_amount_clean
from apps.review.decisions.services import feedback_clean
from apps.review.models import Compensation

LIFETIME = 7 * 24 * 3600
DURATION = 3600

QUESTION = """<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2011-11-11/HTMLQuestion.xsd">
<HTMLContent><![CDATA[<!DOCTYPE html><html><body>
<p>{message}</p>
<form name="mturk_form" method="post" id="mturk_form" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" name="assignmentId" id="assignmentId" value="">
<input type="hidden" name="compensation" value="received">
<input type="submit" value="Submit to receive the payment">
</form>
<script>document.getElementById("assignmentId").value = new URLSearchParams(location.search).get("assignmentId") || "";</script>
</body></html>]]></HTMLContent><FrameHeight>300</FrameHeight></HTMLQuestion>"""


def compensation_create(
    *, membership: Membership, actor, worker_id: str, amount, reason: str
) -> Compensation:
    membership_require(membership, Action.SPEND)
    worker_id = worker_id_clean(worker_id)
    amount = bonus_amount_clean(amount)
    reason = feedback_clean(reason, required=True)
    fee = fees.assignment_fee(amount, max_assignments=1)
    with transaction.atomic():
        spend_authorize(membership=membership, amount=amount, fee=fee, bonus=True)
        compensation = Compensation.objects.create(
            requester=membership.requester,
            created_by=actor,
            worker_id=worker_id,
            amount=amount,
            reason=reason,
            unique_request_token=f"comp-{uuid.uuid4().hex}",
        )
        audit_record(
            actor=actor,
            requester=membership.requester,
            action="compensation.create",
            target_type="worker",
            target_id=worker_id,
            amount=amount,
            fee=fee,
            details={"reason": reason, "compensation": compensation.pk},
        )
    try:
        return compensation_deliver(compensation=compensation)
    except MTurkError as exc:
        if not (exc.retryable or exc.outcome_unknown) and not compensation.hit_mturk_id:
            audit_record(
                actor=actor,
                requester=membership.requester,
                action="compensation.create.undone",
                target_type="worker",
                target_id=worker_id,
                amount=-amount,
                fee=-fee,
                details={"reason": str(exc)[:500], "compensation": compensation.pk},
            )
        raise


def compensation_deliver(*, compensation: Compensation) -> Compensation:
    """Make (or finish making) the qualification and the HIT. Safe to call again."""
    gateway = requester_gateway(compensation.requester)
    try:
        if not compensation.qualification_type_mturk_id:
            qtype = gateway.call(
                "create_qualification_type",
                Name=f"Compensation {compensation.worker_id} #{compensation.pk} ({timezone.now():%Y-%m-%d})",
                Description=f"Lets {compensation.worker_id} take one compensation HIT.",
                QualificationTypeStatus="Active",
            )["QualificationType"]
            compensation.qualification_type_mturk_id = qtype["QualificationTypeId"]
            Compensation.objects.filter(pk=compensation.pk).update(
                qualification_type_mturk_id=compensation.qualification_type_mturk_id
            )
        gateway.call(
            "associate_qualification_with_worker",
            QualificationTypeId=compensation.qualification_type_mturk_id,
            WorkerId=compensation.worker_id,
            IntegerValue=1,
            SendNotification=True,
        )
        if not compensation.hit_mturk_id:
            params = {
                "Title": f"Compensation for worker {compensation.worker_id}",
                "Description": compensation.reason[:2000],
                "Keywords": "compensation",
                "Reward": f"{compensation.amount:.2f}",
                "MaxAssignments": 1,
                "LifetimeInSeconds": LIFETIME,
                "AssignmentDurationInSeconds": DURATION,
                "AutoApprovalDelayInSeconds": 0,
                "Question": QUESTION.format(message=html.escape(compensation.reason)),
                "QualificationRequirements": [
                    {
                        "QualificationTypeId": compensation.qualification_type_mturk_id,
                        "Comparator": "Exists",
                        "ActionsGuarded": "DiscoverPreviewAndAccept",
                    }
                ],
                "RequesterAnnotation": f"compensation #{compensation.pk}",
                "UniqueRequestToken": compensation.unique_request_token,
            }
            try:
                hit = gateway.call("create_hit", **params)["HIT"]
            except MTurkDuplicateRequest as exc:
                hit_id = next(
                    (
                        w
                        for w in str(exc.message).replace(".", " ").split()
                        if len(w) == 30 and w.isalnum()
                    ),
                    "",
                )
                if not hit_id:
                    raise
                hit = gateway.call("get_hit", HITId=hit_id)["HIT"]
            hit_upsert_from_api(
                requester=compensation.requester, data=hit, fetched_at=timezone.now()
            )
            compensation.hit_mturk_id = hit["HITId"]
            Compensation.objects.filter(pk=compensation.pk).update(
                hit_mturk_id=hit["HITId"], error=""
            )
    except MTurkError as exc:
        Compensation.objects.filter(pk=compensation.pk).update(error=str(exc)[:2000])
        raise
    return compensation
