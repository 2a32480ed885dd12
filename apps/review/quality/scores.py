"""Qualification scores from a batch's quality figures: gold accuracy, agreement with the
majority, or crowd-kit's accuracy, each x 100. Previewed (worker, current score, new score),
then set as a Celery job through the qualifications service (AssociateQualificationWithWorker,
no notification), one audited grant per worker; each worker's result is kept once."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg
from django.utils import timezone

from apps.audit.services import audit_record
from apps.batches.models import Batch
from apps.mturk.errors import MTurkError
from apps.qualifications import services as qualification_services
from apps.qualifications.models import QualificationScore, QualificationType
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require
from apps.review.models import ScoreUpdate, ScoreUpdateOutcome
from apps.review.quality import crowd
from apps.review.quality.gold import batch_assignments, gold_refresh


def quality_figures(batch: Batch, source: str, method: str = "dawid_skene") -> dict[str, int]:
    """Worker id -> the new score (0 to 100) from the chosen source; workers without one left out."""
    if source == ScoreUpdate.Source.GOLD:
        return {
            worker: round(100 * score.right / score.total)
            for worker, score in gold_refresh(batch).items()
            if score.total
        }
    if source == ScoreUpdate.Source.AGREEMENT:
        rows = (
            batch_assignments(batch)
            .exclude(agreement=None)
            .values("worker_id")
            .annotate(mean=Avg("agreement"))
            .values_list("worker_id", "mean")
        )
        return {worker: round(100 * mean) for worker, mean in rows}
    if source == ScoreUpdate.Source.CROWD:
        report = crowd.worker_quality(requester=batch.requester, batch=batch, method=method)
        return {
            w.worker_id: round(100 * w.accuracy) for w in report.workers if w.accuracy is not None
        }
    raise ValidationError(f"Unknown source {source!r}.")


def score_update_preview(
    *,
    membership: Membership,
    actor,
    batch: Batch,
    qualification_type: QualificationType,
    source: str,
    method: str = "dawid_skene",
) -> ScoreUpdate:
    membership_require(membership, Action.QUALIFICATIONS)
    if (
        batch.requester_id != membership.requester_id
        or qualification_type.requester_id != membership.requester_id
    ):
        raise PermissionDenied("This batch or qualification belongs to another account.")
    if qualification_type.gone_at or qualification_type.status != "Active":
        raise ValidationError(f"{qualification_type.name} is not active: scores cannot be set.")
    if method not in crowd.METHODS:
        method = "dawid_skene"
    figures = quality_figures(batch, source, method)
    current = dict(
        QualificationScore.objects.filter(
            qualification_type=qualification_type, worker_id__in=list(figures)
        ).values_list("worker_id", "value")
    )
    changes = [
        {"worker_id": worker, "current": current.get(worker), "value": value}
        for worker, value in sorted(figures.items())
    ]
    return ScoreUpdate.objects.create(
        requester=membership.requester,
        batch=batch,
        qualification_type=qualification_type,
        source=source,
        method=method if source == ScoreUpdate.Source.CROWD else "",
        changes=changes,
        created_by=actor,
    )


def score_update_apply(*, membership: Membership, actor, update: ScoreUpdate) -> bool:
    """Queue the job once; returns False when it was already started."""
    membership_require(membership, Action.QUALIFICATIONS)
    if update.requester_id != membership.requester_id:
        raise PermissionDenied("This update belongs to another account.")
    if not update.changes:
        raise ValidationError("No worker has a figure from this source: nothing to set.")
    with transaction.atomic():
        started = ScoreUpdate.objects.filter(
            pk=update.pk, status=ScoreUpdate.Status.PREVIEW
        ).update(status=ScoreUpdate.Status.QUEUED, created_by=actor)
        if not started:
            return False
        audit_record(
            actor=actor,
            requester=membership.requester,
            action="qualification.scores.from_quality",
            target_type="qualification_type",
            target_id=update.qualification_type.mturk_id,
            details={
                "update": update.pk,
                "batch": update.batch_id,
                "source": update.source,
                "workers": len(update.changes),
            },
        )
        from apps.review.tasks import score_update_run_task

        transaction.on_commit(lambda: score_update_run_task.delay(update.pk))
    return True


def score_update_run(*, update_id: int) -> None:
    """Set each worker's score once (a redelivered task skips the workers already done)."""
    update = ScoreUpdate.objects.select_related(
        "requester", "qualification_type", "created_by"
    ).get(pk=update_id)
    if update.status not in (ScoreUpdate.Status.QUEUED, ScoreUpdate.Status.RUNNING):
        return
    ScoreUpdate.objects.filter(pk=update.pk, status=ScoreUpdate.Status.QUEUED).update(
        status=ScoreUpdate.Status.RUNNING
    )
    membership = (
        Membership.objects.filter(user=update.created_by, requester=update.requester)
        .select_related("requester")
        .first()
    )
    done = set(update.outcomes.values_list("worker_id", flat=True))
    for change in update.changes:
        worker_id = change["worker_id"]
        if worker_id in done:
            continue
        ok, message = True, ""
        if membership is None:
            ok, message = False, "The person who started this is no longer a member."
        else:
            try:
                qualification_services.worker_score_set(
                    membership=membership,
                    actor=update.created_by,
                    worker_id=worker_id,
                    qualification_type=update.qualification_type,
                    value=change["value"],
                    notify=False,
                )
            except (ValidationError, PermissionDenied, MTurkError) as exc:
                ok, message = False, " ".join(getattr(exc, "messages", [str(exc)]))[:2000]
        try:
            ScoreUpdateOutcome.objects.create(
                update=update, worker_id=worker_id, ok=ok, message=message
            )
        except IntegrityError:
            continue
    ScoreUpdate.objects.filter(pk=update.pk, status=ScoreUpdate.Status.RUNNING).update(
        status=ScoreUpdate.Status.DONE, finished_at=timezone.now()
    )


def score_update_progress(update: ScoreUpdate) -> dict:
    outcomes = list(update.outcomes.order_by("worker_id"))
    return {
        "total": len(update.changes),
        "set": sum(o.ok for o in outcomes),
        "failed": [o for o in outcomes if not o.ok],
        "finished": len(outcomes),
    }
