"""Writes for studies: save one (its project, template and exclusion group), publish it, check
the codes its workers hand in, and approve the valid ones when asked to.

A study is a project of kind `study` whose template is generated here; its batches are one row
asking for the study's participants (split into HITs of at most 9 by the launch). Everything
that spends goes through the batches' and review's services, with their role and money checks.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.template import Context, Template
from django.utils import timezone

from apps.audit.services import audit_record
from apps.batches import services as batch_services
from apps.batches.models import Batch, Project, ProjectKind
from apps.hits.models import Assignment, AssignmentStatus
from apps.qualifications import services as qualification_services
from apps.qualifications.models import GroupAttachment, QualificationType
from apps.requesters import crypto
from apps.requesters.access import still_allowed
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require
from apps.studies.codes import code_normalise, hmac_code
from apps.studies.models import CodeCheck, CodeMode, CompletionCode, Study, Verdict
from mturkdash.exports import csv_lines

logger = logging.getLogger(__name__)

# The HIT a study shows, in MTurk's frame: kept beside the code, not among the dashboard's
# templates (its inline script runs at MTurk, never under this site's policy).
HIT_TEMPLATE = Path(__file__).with_name("hit.html")
CODE_FIELD = "completion_code"
RULE = "valid completion code"
APPROVE_FEEDBACK = "Thank you: your completion code matched the survey's."


def hit_template(
    *,
    title: str,
    description: str,
    survey_url: str,
    worker_param: str,
    assignment_param: str,
    minutes: int,
) -> str:
    """The study's HIT: the survey link (the worker's and assignment's ids added by its script,
    as MTurk gives them to the HIT's frame) and the completion code box."""
    return Template(HIT_TEMPLATE.read_text()).render(
        Context(
            {
                "title": title,
                "description": description,
                "survey_url": survey_url,
                "worker_param": worker_param,
                "assignment_param": assignment_param,
                "minutes": minutes,
            }
        )
    )


def _own_requirement(study: Study) -> list[dict]:
    if study.exclusion_group is None:
        return []
    return [qualification_services.group_requirement(study.exclusion_group)]


def study_save(
    *,
    membership: Membership,
    actor,
    data: dict,
    study: Study | None = None,
    codes: list[str] | None = None,
) -> tuple[Study, str]:
    """Create or change a study; returns it and, when a secret was made now, that secret (shown
    once, then only ever kept encrypted).

    `data`: name, title, description, survey_url, worker_param, assignment_param, minutes,
    reward, code_mode, fixed_code, excluded (qualification types whose members may not take
    it). A new study gets an exclusion group ("Took part: <name>") its own HITs require absent,
    so nobody takes it twice, across its batches too.
    """
    membership_require(membership, Action.LAUNCH)
    if study is not None and study.project.requester_id != membership.requester_id:
        raise PermissionDenied("This study belongs to another account.")
    mode = data["code_mode"]
    if mode == CodeMode.FIXED and not code_normalise(data.get("fixed_code")):
        raise ValidationError("A study with one code for everyone needs that code.")
    if mode == CodeMode.LIST and not codes and not (study and study.codes.exists()):
        raise ValidationError("A study with a list of codes needs the list: upload it.")
    minutes = int(data["minutes"])
    new_secret = ""
    with transaction.atomic():
        project = study.project if study else None
        template = hit_template(
            title=data["title"],
            description=data["description"],
            survey_url=data["survey_url"],
            worker_param=data["worker_param"],
            assignment_param=data["assignment_param"],
            minutes=minutes,
        )
        fields = {
            "name": data["name"],
            "template": template,
            "question_kind": "html",
            "frame_height": 0,
            "title": data["title"],
            "description": data["description"][:2000],
            "keywords": "survey, study, research, completion code",
            "reward": Decimal(data["reward"]),
            "max_assignments": 9,
            "lifetime": 7 * 86400,
            "assignment_duration": max(3600, minutes * 60 * 3),
            "auto_approval_delay": 3 * 86400,
        }
        project = batch_services.project_save(
            membership=membership, actor=actor, data=fields, project=project
        )
        if study is None:
            study = Study(project=project)
        for name in ("survey_url", "worker_param", "assignment_param", "code_mode"):
            setattr(study, name, data[name])
        study.minutes = minutes
        study.fixed_code = code_normalise(data.get("fixed_code")) if mode == CodeMode.FIXED else ""
        if mode == CodeMode.HMAC and not study.secret:
            new_secret = secrets.token_urlsafe(24)
            study.secret = crypto.encrypt(new_secret)
        study.save()
        if study.exclusion_group is None:
            study.exclusion_group = qualification_services.qualification_type_create(
                membership=membership,
                actor=actor,
                data={
                    "name": f"Took part: {project.name}"[:255],
                    "description": f"Workers who took part in the study {project.name}.",
                    "status": "Active",
                },
                group="exclude",
            )
            study.save(update_fields=["exclusion_group"])
        excluded = [
            qualification_services.group_requirement(qtype)
            for qtype in data.get("excluded") or []
            if qtype.requester_id == membership.requester_id and qtype != study.exclusion_group
        ]
        Project.objects.filter(pk=project.pk).update(
            kind=ProjectKind.STUDY,
            qualification_requirements=_own_requirement(study) + excluded,
        )
        if codes:
            CompletionCode.objects.bulk_create(
                [CompletionCode(study=study, code=code) for code in codes],
                ignore_conflicts=True,
            )
        audit_record(
            actor=actor,
            requester=membership.requester,
            action="study.save",
            target_type="project",
            target_id=project.pk,
            details={"study": project.name, "codes": mode, "added_codes": len(codes or [])},
        )
    study.project.refresh_from_db()
    return study, new_secret


def study_secret(study: Study) -> str:
    return crypto.decrypt(study.secret) if study.secret else ""


def study_secret_mask(study: Study) -> str:
    """The secret as its page shows it after its one showing: its last 4 characters only, enough
    to tell which secret a survey holds."""
    secret = study_secret(study) if study.code_mode == CodeMode.HMAC else ""
    return f"{'•' * 12}{secret[-4:]}" if secret else ""


def _one_row(name: str) -> bytes:
    """The batch's CSV: one row naming the study (its HIT shows no column)."""
    return "".join(csv_lines(["study"], [[name]])).encode()


def study_publish(
    *, membership: Membership, actor, study: Study, participants: int, name: str = ""
) -> Batch:
    """A batch of the study asking for `participants` responses, ready to launch from its page.
    Whoever submits to it joins the study's exclusion group."""
    membership_require(membership, Action.LAUNCH)
    project = study.project
    if project.requester_id != membership.requester_id:
        raise PermissionDenied("This study belongs to another account.")
    if not 1 <= participants <= 100_000:
        raise ValidationError("A study asks for 1 to 100,000 participants.")
    count = project.batches.count() + 1
    batch = batch_services.batch_create(
        membership=membership,
        actor=actor,
        project=project,
        name=(name or f"{project.name}: {participants} participants ({count})")[:100],
        upload=SimpleUploadedFile("study.csv", _one_row(project.name), content_type="text/csv"),
    )
    Batch.objects.filter(pk=batch.pk).update(assignments_per_row=participants)
    batch.assignments_per_row = participants
    if study.exclusion_group is not None:
        GroupAttachment.objects.get_or_create(qualification_type=study.exclusion_group, batch=batch)
    return batch


# --- the codes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Judged:
    verdict: str
    reason: str


def _given(assignment: Assignment) -> str:
    answers = assignment.answers if isinstance(assignment.answers, dict) else {}
    value = answers.get(CODE_FIELD, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)[:200]


def _judge(study: Study, assignment: Assignment, code: str, secret: str, hmacs: dict) -> _Judged:
    if not code:
        return _Judged(Verdict.MISSING, "No completion code was given.")
    if study.code_mode == CodeMode.FIXED:
        if code == study.fixed_code:
            return _Judged(Verdict.VALID, "The study's code.")
        return _Judged(Verdict.INVALID, "Not the study's code.")
    if study.code_mode == CodeMode.HMAC:
        if code == hmac_code(secret, assignment.worker_id):
            return _Judged(Verdict.VALID, "The code the survey gives this worker.")
        owner = hmacs.get(code)
        if owner and owner != assignment.worker_id:
            return _Judged(Verdict.REUSED, f"This is the code of another worker, {owner}.")
        return _Judged(Verdict.INVALID, "Not the code the survey gives this worker.")
    return _judge_listed(study, assignment, code)


def _judge_listed(study: Study, assignment: Assignment, code: str) -> _Judged:
    entry = CompletionCode.objects.filter(study=study, code=code).first()
    if entry is None:
        return _Judged(Verdict.INVALID, "Not one of the study's codes.")
    # Claimed by a compare-and-set: two assignments with one code, one wins.
    claimed = CompletionCode.objects.filter(pk=entry.pk, used_by__isnull=True).update(
        used_by=assignment, used_at=timezone.now()
    )
    if claimed:
        return _Judged(Verdict.VALID, "One of the study's codes, not used before.")
    entry.refresh_from_db()
    holder = (
        Assignment.objects.filter(pk=entry.used_by_id).values_list("worker_id", flat=True).first()
    )
    if entry.used_by_id == assignment.pk or holder == assignment.worker_id:
        return _Judged(Verdict.VALID, "One of the study's codes, given by this worker before.")
    who = f" by worker {holder}" if holder else ""
    return _Judged(Verdict.REUSED, f"This code was used already{who}.")


def study_assignments(study: Study):
    return Assignment.objects.filter(hit__batch_rows__batch__project_id=study.project_id).distinct()


def study_codes_check(*, study: Study) -> int:
    """Judge the code of every handed-in assignment of the study not judged yet; returns how
    many were judged. Safe to run again and at once: each assignment is judged once."""
    unchecked = list(
        study_assignments(study)
        .filter(
            status__in=[
                AssignmentStatus.SUBMITTED,
                AssignmentStatus.APPROVED,
                AssignmentStatus.REJECTED,
            ],
            code_check__isnull=True,
        )
        .order_by("submit_time", "pk")
    )
    if not unchecked:
        return 0
    secret = study_secret(study) if study.code_mode == CodeMode.HMAC else ""
    hmacs: dict[str, str] = {}
    if secret:
        workers = set(study_assignments(study).values_list("worker_id", flat=True))
        hmacs = {hmac_code(secret, worker): worker for worker in workers}
    first_of: dict[str, int] = {}
    for pk, worker in (
        study_assignments(study).order_by("submit_time", "pk").values_list("pk", "worker_id")
    ):
        first_of.setdefault(worker, pk)
    judged = 0
    for assignment in unchecked:
        given = _given(assignment)
        code = code_normalise(given)
        first = first_of.get(assignment.worker_id, assignment.pk)
        if first != assignment.pk:
            earlier = Assignment.objects.filter(pk=first).values_list("mturk_id", flat=True)
            verdict = _Judged(
                Verdict.REPEAT,
                f"This worker took part already (assignment {earlier.first()}): one response "
                "per person.",
            )
        else:
            verdict = _judge(study, assignment, code, secret, hmacs)
        try:
            with transaction.atomic():
                CodeCheck.objects.create(
                    assignment=assignment,
                    study=study,
                    given=given,
                    code=code,
                    verdict=verdict.verdict,
                    reason=verdict.reason[:300],
                )
            judged += 1
        except IntegrityError:
            continue  # judged meanwhile by another run
    return judged


# --- approving valid codes by themselves ----------------------------------------------------


def study_auto_approve_set(*, membership: Membership, actor, study: Study, enabled: bool) -> None:
    """Turn on (as `actor`) or off the approval of valid codes. Invalid, reused and missing codes
    are never decided by it: they wait for a person."""
    membership_require(membership, Action.LAUNCH)
    if study.project.requester_id != membership.requester_id:
        raise PermissionDenied("This study belongs to another account.")
    Study.objects.filter(pk=study.pk).update(
        auto_approve=enabled, auto_approve_by=actor if enabled else None
    )
    study.auto_approve, study.auto_approve_by = enabled, actor if enabled else None
    audit_record(
        actor=actor,
        requester=membership.requester,
        action="study.auto_approve.on" if enabled else "study.auto_approve.off",
        target_type="project",
        target_id=study.project_id,
        details={"study": study.project.name},
    )


def study_auto_approve_run(*, study: Study) -> int:
    """Approve the submitted assignments whose code is valid, as the person who turned it on,
    while their role still allows it; returns how many."""
    if not study.auto_approve or study.auto_approve_by_id is None:
        return 0
    requester_id = study.project.requester_id
    if not still_allowed(
        user_id=study.auto_approve_by_id, requester_id=requester_id, action=Action.LAUNCH
    ):
        Study.objects.filter(pk=study.pk).update(auto_approve=False)
        logger.warning("study %s: its approver may no longer launch; approval turned off", study.pk)
        return 0
    from apps.review.decisions.services import REFUSALS, assignment_approve

    membership = Membership.objects.select_related("requester").get(
        user_id=study.auto_approve_by_id, requester_id=requester_id
    )
    approved = 0
    valid = study_assignments(study).filter(
        status=AssignmentStatus.SUBMITTED, code_check__verdict=Verdict.VALID
    )
    for assignment in valid.select_related("hit", "hit__hit_type").order_by("submit_time", "pk"):
        try:
            assignment_approve(
                membership=membership,
                assignment=assignment,
                actor=membership.user,
                feedback=APPROVE_FEEDBACK,
                audit_extra={"rule": RULE, "study": study.pk},
            )
        except REFUSALS as exc:
            # The daily limit, an assignment decided meanwhile, MTurk refusing or out of reach:
            # the next run tries again.
            logger.info("study %s: %s not approved: %s", study.pk, assignment.mturk_id, exc)
            continue
        approved += 1
    return approved


def studies_run_all() -> tuple[int, int]:
    """Beat: judge every study's new codes and approve the valid ones where asked."""
    judged = approved = 0
    studies = Study.objects.select_related("project").filter(project__batches__isnull=False)
    for study in studies.distinct():
        try:
            judged += study_codes_check(study=study)
            approved += study_auto_approve_run(study=study)
        except Exception:  # an outage on one account does not stop the other studies
            logger.exception("study %s: codes not checked or approved", study.pk)
    return judged, approved


def study_groups(requester) -> list[QualificationType]:
    """The account's exclusion groups a new study may keep out (other studies' included)."""
    return list(
        QualificationType.objects.filter(
            requester=requester, group="exclude", gone_at__isnull=True
        ).order_by("name")
    )
