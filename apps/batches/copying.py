"""Copy a project: its template, HIT properties, qualification requirements and gold answers,
into the same account or into another account of the same person.

A qualification type belongs to one MTurk account: another account's HITs cannot require it
(MTurk refuses the HIT type). So a copy into another account keeps the system qualifications
(Masters under the target environment's own id) and the target's own types, and refuses the
others unless the person chose to copy without them, in which case they are named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from apps.audit.services import audit_record
from apps.batches.models import PROJECT_HIT_FIELDS, Project
from apps.mturk.constants import (
    MASTERS_IDS,
    QUAL_ADULT,
    QUAL_LOCALE,
    QUAL_NUMBER_HITS_APPROVED,
    QUAL_PERCENT_APPROVED,
)
from apps.qualifications.models import QualificationType
from apps.qualifications.requirements import masters_id, requirement_label, requirement_names
from apps.requesters.access import memberships_for_user
from apps.requesters.models import Membership
from apps.requesters.roles import Action, role_allows

SYSTEM_TYPE_IDS = frozenset(
    {QUAL_PERCENT_APPROVED, QUAL_NUMBER_HITS_APPROVED, QUAL_LOCALE, QUAL_ADULT, *MASTERS_IDS}
)
COPIED_FIELDS = (*PROJECT_HIT_FIELDS, "gold_fields")
NAME_MAX = Project._meta.get_field("name").max_length


class ForeignRequirements(ValidationError):
    """The project requires qualification types of its own account that the target account
    cannot use; `labels` names them."""

    def __init__(self, labels: list[str], *, source: Project, target) -> None:
        self.labels = labels
        super().__init__(
            f"{target} cannot require qualification types of {source.requester}: "
            + "; ".join(labels)
            + ". Copy without them, or create such types in "
            f"{target} and add them to the copy."
        )


@dataclass
class ProjectCopy:
    project: Project
    dropped: list[str] = field(default_factory=list)


def project_copy_targets(user) -> list[Membership]:
    """The accounts where this person may create projects (a copy can go to any of them)."""
    return [m for m in memberships_for_user(user) if role_allows(m.role, Action.LAUNCH)]


def project_copy_name(project: Project, requester) -> str:
    """The default name: "Copy of X", or "Copy of X (2)" when X is taken in the account."""
    base = f"Copy of {project.name}"[:NAME_MAX]
    taken = set(
        Project.objects.filter(requester=requester, name__startswith=base[:50]).values_list(
            "name", flat=True
        )
    )
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f" ({number})"
        name = base[: NAME_MAX - len(suffix)] + suffix
        if name not in taken:
            return name
        number += 1


def _requirements_for(project: Project, target) -> tuple[list[dict], list[dict]]:
    """(kept, foreign): the requirements the target account can use, and the others."""
    if target.pk == project.requester_id:
        return [dict(r) for r in project.qualification_requirements], []
    own = set(
        QualificationType.objects.filter(requester=target, gone_at__isnull=True).values_list(
            "mturk_id", flat=True
        )
    )
    kept, foreign = [], []
    for requirement in project.qualification_requirements:
        type_id = requirement.get("QualificationTypeId", "")
        if type_id in MASTERS_IDS:
            kept.append({**requirement, "QualificationTypeId": masters_id(target)})
        elif type_id in SYSTEM_TYPE_IDS or type_id in own:
            kept.append(dict(requirement))
        else:
            foreign.append(requirement)
    return kept, foreign


@transaction.atomic
def project_copy(
    *,
    source: Project,
    membership: Membership,
    actor,
    name: str,
    drop_foreign: bool = False,
) -> ProjectCopy:
    """A new project of `membership`'s account with everything of `source` but its name and
    batches. Refuses (ForeignRequirements) requirements the target cannot use unless
    `drop_foreign`, then leaves them out and names them in `dropped`."""
    if not role_allows(membership.role, Action.LAUNCH):
        raise PermissionDenied(
            f"A {membership.role} of {membership.requester} cannot create projects."
        )
    if membership.user_id != getattr(actor, "pk", None):
        raise PermissionDenied("A copy goes only to an account of the person copying.")
    target = membership.requester
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the copy a name."})
    if Project.objects.filter(requester=target, name=name).exists():
        raise ValidationError({"name": f"{target} already has a project named {name}."})
    kept, foreign = _requirements_for(source, target)
    names = requirement_names(source.requester) if foreign else {}
    labels = [requirement_label(r, names=names) for r in foreign]
    if foreign and not drop_foreign:
        raise ForeignRequirements(labels, source=source, target=target)
    copy = Project(requester=target, name=name, created_by=actor, qualification_requirements=kept)
    for attribute in COPIED_FIELDS:
        setattr(copy, attribute, getattr(source, attribute))
    copy.full_clean()
    copy.save()
    audit_record(
        actor=actor,
        requester=target,
        action="project.copy",
        target_type="project",
        target_id=copy.pk,
        details={
            "from_project": source.pk,
            "from_account": source.requester_id,
            "name": name,
            "dropped_requirements": [r.get("QualificationTypeId", "") for r in foreign],
        },
    )
    if target.pk != source.requester_id:
        # The source account keeps a trace of where its template and settings went.
        audit_record(
            actor=actor,
            requester=source.requester,
            action="project.copy.out",
            target_type="project",
            target_id=source.pk,
            details={"to_project": copy.pk, "to_account": target.pk, "name": name},
        )
    return ProjectCopy(project=copy, dropped=labels)
