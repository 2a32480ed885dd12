"""Writes for projects and batches: create, upload, launch, retry, cancel, resume, HIT actions.

Every function checks the person's role itself (a forged request is refused all the same),
writes an audit entry for what changes at MTurk or spends money, and queues Celery work only
once its transaction has committed.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.audit.services import audit_record
from apps.batches import checking, commitments, costs, splitting, waves
from apps.batches.models import (
    PROJECT_HIT_FIELDS,
    ActionKind,
    Batch,
    BatchAction,
    BatchStatus,
    Project,
    RowStatus,
    batch_transition,
)
from apps.hits.models import HIT, AssignmentStatus, HITStatus
from apps.mturk import fees
from apps.mturk.errors import MTurkError
from apps.qualifications import services as qualification_services
from apps.qualifications.models import GroupAttachment, QualificationType
from apps.qualifications.services import BulkResult
from apps.requesters.access import refusal
from apps.requesters.models import Membership
from apps.requesters.roles import Action, role_allows
from apps.requesters.services import CredentialsMissing, requester_balance, spend_authorize
from mturkdash.templatetags import money

DEFAULT_MAX_CSV_BYTES = 50 * 1024 * 1024


def max_csv_bytes() -> int:
    return getattr(settings, "BATCH_CSV_MAX_BYTES", DEFAULT_MAX_CSV_BYTES)


def _require(membership: Membership, action: Action) -> None:
    if not role_allows(membership.role, action):
        raise PermissionDenied(refusal(membership, action))


PROJECT_FIELDS = ("name", *PROJECT_HIT_FIELDS, "qualification_requirements", "gold_fields")


def project_save(
    *, membership: Membership, actor, data: dict, project: Project | None = None
) -> Project:
    """Create a project of the membership's account, or change one of its projects."""
    _require(membership, Action.LAUNCH)
    if project is None:
        project = Project(requester=membership.requester, created_by=actor)
    elif project.requester_id != membership.requester_id:
        raise PermissionDenied("This project belongs to another account.")
    for name in PROJECT_FIELDS:
        if name in data:
            setattr(project, name, data[name])
    if project.pk is None and data.get("starter"):
        project.starter = data["starter"]
    project.full_clean()
    project.save()
    return project


class CsvRefused(ValidationError):
    """The uploaded CSV has errors: no batch was kept. `report` says why, as the batch page
    would have (errors, warnings, notices)."""

    def __init__(self, report: dict) -> None:
        super().__init__(report.get("errors") or ["The CSV has errors."])
        self.report = report


def batch_create(
    *,
    membership: Membership,
    actor,
    project: Project,
    name: str,
    upload: UploadedFile,
    replaces: Batch | None = None,
) -> Batch:
    """Store the uploaded CSV; check it against the project's template and keep its rows, right
    away for a small file, in a Celery job for a large one (the batch is `checking` meanwhile).

    A small CSV with errors makes no batch at all: `CsvRefused` carries the report. A large one
    is checked later and can end `invalid`; uploading again with `replaces` set to that batch
    deletes it, so that no batch with errors is left behind.
    """
    _require(membership, Action.LAUNCH)
    if project.requester_id != membership.requester_id:
        raise PermissionDenied("This project belongs to another account.")
    if replaces is not None:
        if replaces.project_id != project.pk or replaces.status != BatchStatus.INVALID:
            raise ValidationError("Only a batch whose CSV has errors can be replaced.")
        batch_delete_invalid(membership=membership, batch=replaces)
    limit = max_csv_bytes()
    if upload.size > limit:
        raise ValidationError(
            f"The file is {upload.size / 1_048_576:.1f} MB; batches take CSV files of at most "
            f"{limit / 1_048_576:.1f} MB. Split it into several batches."
        )
    batch = Batch(
        project=project,
        requester=membership.requester,
        name=name,
        input_name=upload.name[:255],
        status=BatchStatus.CHECKING,
        created_by=actor,
    )
    if upload.size <= checking.inline_bytes():
        return _batch_create_checked(batch, upload)
    batch.input_file.save(upload.name, upload, save=False)
    batch.save()
    from apps.batches.tasks import batch_check_task

    transaction.on_commit(lambda: batch_check_task.delay(batch.pk))
    return batch


def _batch_create_checked(batch: Batch, upload: UploadedFile) -> Batch:
    """Check a small CSV in the request; keep the batch only when it can be launched."""
    batch.input_file.save(upload.name, upload, save=False)
    try:
        with transaction.atomic():
            batch.save()
            checked = checking.batch_check(batch.pk)
            if checked.status == BatchStatus.INVALID:
                raise CsvRefused(checked.report)
    except BaseException:
        batch.input_file.delete(save=False)
        raise
    return checked


def batch_delete_invalid(*, membership: Membership, batch: Batch) -> None:
    """Delete a batch whose CSV has errors (nothing of it ever reached MTurk), and its file."""
    _require(membership, Action.LAUNCH)
    if batch.requester_id != membership.requester_id:
        raise PermissionDenied("This batch belongs to another account.")
    with transaction.atomic():
        deleted, _ = Batch.objects.filter(pk=batch.pk, status=BatchStatus.INVALID).delete()
        if not deleted:
            raise ValidationError("Only a batch whose CSV has errors can be deleted.")
        if batch.input_file:
            name, storage = batch.input_file.name, batch.input_file.storage
            transaction.on_commit(lambda: storage.delete(name))


def _launch_properties(project: Project, batch: Batch | None = None) -> dict:
    return {
        "question_kind": project.question_kind,
        "template": project.template,
        "frame_height": project.frame_height,
        "title": project.title,
        "description": project.description,
        "keywords": project.keywords,
        "reward": str(project.reward),
        # What each row asks for: the batch's own number (a study's participants) or the
        # project's; `split` publishes 10 or more as HITs of at most 9 (splitting.py).
        "max_assignments": (batch.assignments_per_row if batch else None)
        or project.max_assignments,
        "split": project.split_assignments,
        "worker_cap": project.worker_cap,
        "lifetime": project.lifetime,
        "assignment_duration": project.assignment_duration,
        "auto_approval_delay": project.auto_approval_delay,
        "qualification_requirements": project.qualification_requirements,
        "annotation": project.annotation,
    }


def batch_properties(batch: Batch) -> dict:
    """What the launch sends: the snapshot once launched, the project's values before."""
    return batch.launch_properties or _launch_properties(batch.project, batch)


def batch_estimate(batch: Batch, *, remaining_only: bool = False) -> costs.Estimate:
    """What the batch costs (or, `remaining_only`, what its rows not yet created cost), with
    rows asking for 10 or more assignments counted as the HITs of at most 9 they become."""
    props = batch_properties(batch)
    split = splitting.batch_splits(batch, props)
    already = batch.rows.filter(part__gt=0).exists() if split else False
    if already:
        # The rows are parts already: count what is left of them.
        rows = batch.rows.all()
        if remaining_only:
            rows = rows.exclude(status=RowStatus.CREATED)
        assignments = sum(size or 0 for size in rows.values_list("assignments", flat=True))
        reward = Decimal(props["reward"])
        requirements = props["qualification_requirements"]
        whole = costs.estimate(
            reward=reward, max_assignments=1, hits=assignments, requirements=requirements
        )
        large_fee = fees.assignment_fee(
            reward,
            max_assignments=props["max_assignments"],
            masters=costs.requires_masters(requirements),
        )
        return dataclasses.replace(
            whole,
            hits=rows.count(),
            max_assignments=splitting.MAX_PER_PART,
            rows=batch.row_count,
            per_row=props["max_assignments"],
            unsplit=fees.Cost(rewards=reward * assignments, fees=large_fee * assignments),
        )
    hits = batch.row_count
    if remaining_only:
        hits = batch.rows.exclude(status=RowStatus.CREATED).count()
    return costs.estimate(
        reward=Decimal(props["reward"]),
        max_assignments=props["max_assignments"],
        hits=hits,
        requirements=props["qualification_requirements"],
        split=split,
    )


def _launch_start(batch_id: int) -> None:
    from apps.batches.tasks import batch_launch_task

    transaction.on_commit(lambda: batch_launch_task.delay(batch_id))


def batch_launch(
    *,
    membership: Membership,
    actor,
    batch: Batch,
    confirm_name: str = "",
    confirm_total: Decimal | None = None,
) -> costs.Estimate:
    """Start (or, after a stop, resume) the launch of a checked batch.

    Refused when the account's balance does not cover the rows still to launch, when the first
    launch's commitment (every row's rewards and fees, at most) does not fit what is left of the
    account's daily limit, on a production account unless the person typed the account's
    name, and when `confirm_total` (the total the person confirmed) is not what it costs now.
    A resumed launch commits nothing new: the first launch counted every row.
    """
    _require(membership, Action.LAUNCH)
    requester = membership.requester
    if batch.requester_id != requester.pk:
        raise PermissionDenied("This batch belongs to another account.")
    too_many_splits = splitting.split_refusal(batch, batch_properties(batch))
    if too_many_splits:
        raise ValidationError(too_many_splits)
    if not batch.can_launch:
        raise ValidationError(
            f"A batch that is {batch.get_status_display().lower()} cannot launch."
        )
    if requester.is_production and confirm_name.strip() != requester.name:
        raise ValidationError(
            f"This is a production account: type its name, {requester.name}, to launch."
        )
    estimate = batch_estimate(batch, remaining_only=True)
    if confirm_total is not None and Decimal(confirm_total) != estimate.total:
        raise ValidationError(
            f"The cost changed since it was confirmed ({money(confirm_total)}): it is now "
            f"{money(estimate.total)}. Check the new total and launch again."
        )
    try:
        balance = requester_balance(requester=requester, refresh=True)
    except (MTurkError, CredentialsMissing) as exc:
        raise ValidationError(f"MTurk did not give the account's balance: {exc}") from exc
    if balance < estimate.total:
        raise ValidationError(
            f"The account's balance, ${balance}, does not cover this batch's ${estimate.total}."
        )
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        first = batch.status == BatchStatus.VALIDATED
        if first:
            # The commitment: MTurk pays these workers even if nobody approves (auto-approval).
            spend_authorize(
                membership=membership,
                amount=estimate.cost.rewards,
                fee=estimate.cost.fees,
                commitment="This launch",
            )
        fields = {
            "launched_by": actor,
            "error": "",
            "estimate": batch_estimate(batch).total if first else batch.estimate,
            "estimate_fees": batch_estimate(batch).cost.fees if first else batch.estimate_fees,
        }
        if first:
            fields["launch_properties"] = _launch_properties(batch.project, batch)
            fields["launch_started_at"] = timezone.now()
        if not batch_transition(batch, BatchStatus.LAUNCHING, **fields):
            raise ValidationError("The batch changed meanwhile; reload the page.")
        if first:
            # No row has a token yet: the rows become their parts, then the first wave.
            splitting.batch_rows_split(batch, batch.launch_properties)
            waves.batch_waves_begin(batch)
        audit_record(
            actor=actor,
            requester=requester,
            action="batch.launch" if first else "batch.relaunch",
            target_type="batch",
            target_id=batch.pk,
            amount=estimate.cost.rewards if first else None,
            fee=estimate.cost.fees if first else None,
            details={
                "batch": batch.name,
                "hits": estimate.hits,
                "assignments_per_hit": estimate.max_assignments,
                "balance": str(balance),
            },
        )
        _launch_start(batch.pk)
    return estimate


def batch_retry_failed(*, membership: Membership, actor, batch: Batch) -> int:
    """Send the failed rows again (with their own tokens). Returns how many."""
    _require(membership, Action.LAUNCH)
    if batch.requester_id != membership.requester_id:
        raise PermissionDenied("This batch belongs to another account.")
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        failed = batch.rows.filter(status=RowStatus.FAILED)
        count = failed.count()
        if not count:
            raise ValidationError("No row failed.")
        if batch.status == BatchStatus.FAILED:
            raise ValidationError("The launch is stopped: launch it again to resume.")
        if batch.status == BatchStatus.LAUNCHED and not batch_transition(
            batch, BatchStatus.LAUNCHING, launch_finished_at=None
        ):
            raise ValidationError("The batch changed meanwhile; reload the page.")
        if batch.status != BatchStatus.LAUNCHING:
            raise ValidationError(f"A {batch.get_status_display().lower()} batch cannot retry.")
        failed.update(status=RowStatus.PENDING)
        audit_record(
            actor=actor,
            requester=batch.requester,
            action="batch.retry",
            target_type="batch",
            target_id=batch.pk,
            details={"rows": count},
        )
        _launch_start(batch.pk)
    return count


def batch_cancel(*, membership: Membership, actor, batch: Batch, expire: bool) -> None:
    """Stop launching; with `expire`, expire what was launched once in-flight rows are settled."""
    _require(membership, Action.LAUNCH)
    if batch.requester_id != membership.requester_id:
        raise PermissionDenied("This batch belongs to another account.")
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        if not batch_transition(
            batch, BatchStatus.CANCELLING, expire_on_cancel=expire, cancelled_by=actor
        ):
            raise ValidationError(
                f"A {batch.get_status_display().lower()} batch cannot be cancelled."
            )
        audit_record(
            actor=actor,
            requester=batch.requester,
            action="batch.cancel",
            target_type="batch",
            target_id=batch.pk,
            details={"expire_launched": expire},
        )
        _launch_start(batch.pk)


def batch_resume(*, membership: Membership, batch: Batch) -> None:
    """Queue the launch task again (after a worker died); it only finishes what is left."""
    _require(membership, Action.LAUNCH)
    if batch.requester_id != membership.requester_id:
        raise PermissionDenied("This batch belongs to another account.")
    if batch.status not in (BatchStatus.LAUNCHING, BatchStatus.CANCELLING):
        raise ValidationError("Only a launching or cancelling batch can be resumed.")
    _launch_start(batch.pk)


def _finished(hits):
    return hits.filter(status__in=[HITStatus.REVIEWABLE, HITStatus.REVIEWING]).exclude(
        assignments__status=AssignmentStatus.SUBMITTED
    )


def batch_action_start(
    *,
    membership: Membership,
    actor,
    batch: Batch,
    kind: str,
    hit_ids: list[int] | None = None,
    seconds: int | None = None,
    assignments: int | None = None,
    per_hit: dict[int, int] | None = None,
    commitment: str = "",
) -> BatchAction:
    """Queue a bulk action on the batch's HITs (all, or the selected `hit_ids`).

    Adding assignments takes one count for every HIT (`assignments`) or a count per HIT
    (`per_hit`, {HIT pk: n}: adaptive redundancy's plan); `commitment` names it in the
    spending check's messages."""
    _require(membership, Action.LAUNCH)
    if batch.requester_id != membership.requester_id:
        raise PermissionDenied("This batch belongs to another account.")
    hits = HIT.objects.filter(batch_rows__batch=batch, gone_at__isnull=True)
    if hit_ids:
        hits = hits.filter(pk__in=hit_ids)
    params: dict = {}
    amount = fee = None
    if kind == ActionKind.DELETE:
        hits = _finished(hits)
    elif kind == ActionKind.EXTEND:
        if not seconds or seconds < 60:
            raise ValidationError("Extend by at least 60 seconds.")
        params["seconds"] = seconds
    elif kind == ActionKind.ADD_ASSIGNMENTS:
        if per_hit:
            hits = hits.filter(pk__in=list(per_hit))
            if min(per_hit.values()) < 1:
                raise ValidationError("Add at least one assignment.")
        elif not assignments or assignments < 1:
            raise ValidationError("Add at least one assignment.")
        limit = fees.LARGE_BATCH_ASSIGNMENTS
        if per_hit:
            crossing = sum(
                1
                for pk, current in hits.values_list("pk", "max_assignments")
                if current < limit <= current + per_hit[pk]
            )
        else:
            crossing = hits.filter(
                max_assignments__lt=limit, max_assignments__gte=limit - assignments
            ).count()
        if crossing:
            raise ValidationError(
                f"{crossing} of these HITs have fewer than {limit} assignments and would reach "
                f"{limit} or more. MTurk refuses that (the fee goes from 20% to 40% at {limit} "
                f"assignments, so a HIT created under {limit} cannot cross it). Add at most "
                f"{limit - 1} in total per HIT, or launch a new batch with {limit}+ assignments."
            )
        if per_hit:
            params["per_hit"] = {str(pk): int(n) for pk, n in per_hit.items()}
        else:
            params["assignments"] = assignments
    elif kind != ActionKind.EXPIRE:
        raise ValidationError(f"Unknown action {kind!r}.")
    ids = sorted(set(hits.values_list("pk", flat=True)))
    if not ids:
        raise ValidationError(
            "None of the selected HITs is finished (reviewable with every assignment decided)."
            if kind == ActionKind.DELETE
            else "No HIT to act on."
        )
    if kind == ActionKind.EXTEND:
        # Each HIT's new expiration is fixed now, so that a repeated job sets the same time
        # instead of extending twice.
        now = timezone.now()
        again = commitments.extension_cost(batch, list(HIT.objects.filter(pk__in=ids)), now=now)
        if again.rewards or again.fees:
            amount, fee = again.rewards, again.fees
        params["targets"] = {
            str(pk): (max(now, expiration or now) + timedelta(seconds=seconds)).isoformat()
            for pk, expiration in HIT.objects.filter(pk__in=ids).values_list("pk", "expiration")
        }
    if kind == ActionKind.ADD_ASSIGNMENTS:
        amount = fee = Decimal("0")
        for pk, reward, current in HIT.objects.filter(pk__in=ids).values_list(
            "pk", "reward", "max_assignments"
        ):
            added = per_hit[pk] if per_hit else assignments
            amount += reward * added
            fee += fees.assignment_fee(reward, max_assignments=current + added) * added
    with transaction.atomic():
        if amount is not None:
            label = commitment or (
                "This extension" if kind == ActionKind.EXTEND else "These assignments"
            )
            spend_authorize(membership=membership, amount=amount, fee=fee, commitment=label)
        action = BatchAction.objects.create(
            batch=batch, kind=kind, params=params, hit_ids=ids, total=len(ids), created_by=actor
        )
        audit_record(
            actor=actor,
            requester=batch.requester,
            action=f"batch.{kind}",
            target_type="batch",
            target_id=batch.pk,
            amount=amount,
            fee=fee,
            details={"hits": len(ids), **{k: v for k, v in params.items() if k != "targets"}},
        )
        from apps.batches.tasks import batch_action_task

        transaction.on_commit(lambda: batch_action_task.delay(action.pk))
    return action


# --- excluding a batch's workers ----------------------------------------------------------


def batch_exclusion_name(batch: Batch) -> str:
    """The name of the exclusion group made for a batch (unique per account at MTurk)."""
    return f"Worked on {batch.name} (batch {batch.pk})"


def batch_exclusion_groups(batch: Batch) -> QuerySet[QualificationType]:
    """The account's exclusion groups a batch's workers can be added to."""
    return (
        QualificationType.objects.filter(
            requester_id=batch.requester_id, group="exclude", gone_at__isnull=True
        )
        .exclude(status="Disposing")
        .order_by("name")
    )


def batch_workers_exclude(
    *, membership: Membership, actor, batch: Batch, qtype: QualificationType | None = None
) -> tuple[QualificationType, BulkResult]:
    """Keep a batch's workers out of future studies in one step: every worker who submitted to
    the batch gets a score on an exclusion group, and the group is attached to the batch so
    that whoever submits later joins it too.

    The group is `qtype` (one of the account's exclusion groups), else the one already attached
    to this batch, else one made now, named after the batch. Returns the group and the grants'
    result (how many were added, and MTurk's refusals worker by worker).
    """
    _require(membership, Action.QUALIFICATIONS)
    if batch.requester_id != membership.requester_id:
        raise PermissionDenied("This batch belongs to another account.")
    if not batch.hit_type_mturk_id:
        raise ValidationError("Nobody worked on this batch yet: it was never launched.")
    groups = batch_exclusion_groups(batch)
    if qtype is not None and not groups.filter(pk=qtype.pk).exists():
        raise ValidationError("Choose one of this account's exclusion groups.")
    if qtype is None:
        qtype = (
            groups.filter(attachments__batch=batch).first()
            or groups.filter(name=batch_exclusion_name(batch)).first()
        )
    if qtype is None:
        qtype = qualification_services.qualification_type_create(
            membership=membership,
            actor=actor,
            data={
                "name": batch_exclusion_name(batch),
                "description": f"Workers who submitted work to the batch {batch.name} of the "
                f"project {batch.project.name}: studies that must not see them again require "
                "that this qualification does not exist.",
                "status": "Active",
            },
            group="exclude",
        )
    GroupAttachment.objects.get_or_create(qualification_type=qtype, batch=batch)
    workers = qualification_services.workers_of_batch(batch)
    result = qualification_services.group_add_workers(
        membership=membership, actor=actor, qtype=qtype, worker_ids=workers
    )
    audit_record(
        actor=actor,
        requester=batch.requester,
        action="batch.exclude_workers",
        target_type="batch",
        target_id=batch.pk,
        details={
            "group": qtype.name,
            "type": qtype.mturk_id,
            "added": result.applied,
            "refused": len(result.errors),
        },
    )
    return qtype, result
