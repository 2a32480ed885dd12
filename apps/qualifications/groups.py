"""Groups that fill themselves: a worker who submits to a batch joins the groups attached to it.

New assignments are noticed where they enter the mirror (sync and notifications); the grants go
to MTurk from a Celery task, so a sync's calls stay what its data needs.
"""

from __future__ import annotations

from django.db import transaction

from apps.hits.models import Assignment
from apps.qualifications.models import GroupAttachment, QualificationScore


def groups_after_submissions(assignment_ids: list[int]) -> None:
    """Queue the grants for these new assignments, once the mirror's transaction commits."""
    # Checked for every HIT a sync reads: one cheap query when nothing is attached anywhere.
    if not assignment_ids or not GroupAttachment.objects.exists():
        return
    attached = GroupAttachment.objects.filter(
        batch__rows__hit__assignments__pk__in=assignment_ids
    ).exists()
    if attached:
        from apps.qualifications.tasks import groups_grant

        transaction.on_commit(lambda: groups_grant.delay(list(assignment_ids)))


def groups_grant_now(assignment_ids: list[int]) -> int:
    """Grant the attached groups to the workers of these assignments; returns how many grants."""
    from apps.qualifications.services import worker_score_set
    from apps.requesters.models import Membership
    from apps.requesters.roles import Role

    granted = 0
    admins: dict[int, Membership | None] = {}
    assignments = Assignment.objects.filter(pk__in=assignment_ids).select_related("requester")
    for assignment in assignments:
        attachments = GroupAttachment.objects.filter(
            batch__rows__hit_id=assignment.hit_id
        ).select_related("qualification_type")
        for attachment in attachments.distinct():
            qtype = attachment.qualification_type
            if QualificationScore.objects.filter(
                qualification_type=qtype, worker_id=assignment.worker_id, status="Granted"
            ).exists():
                continue
            # The system acts for the account: an admin's membership carries the right role.
            if assignment.requester_id not in admins:
                admins[assignment.requester_id] = (
                    Membership.objects.filter(requester=assignment.requester, role=Role.ADMIN)
                    .select_related("requester")
                    .first()
                )
            membership = admins[assignment.requester_id]
            if membership is None:
                continue
            worker_score_set(
                membership=membership,
                actor=None,
                worker_id=assignment.worker_id,
                qualification_type=qtype,
                value=1,
            )
            granted += 1
    return granted
