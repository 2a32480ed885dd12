"""Qualifications as MTurk keeps them: the system qualification types, a worker's value for a
type (system values computed from the worker, others from granted scores), whether a worker
meets a HIT's requirements for an action, and granting a score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..models import Assignment, Qualification, QualificationType, Worker

PERCENT_APPROVED = "000000000000000000L0"
NUMBER_APPROVED = "00000000000000000040"
LOCALE = "00000000000000000071"
ADULT = "00000000000000000060"
MASTERS = "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH"
MASTERS_SANDBOX = "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6"

SYSTEM_TYPES = {
    PERCENT_APPROVED: (
        "Worker_PercentAssignmentsApproved",
        "The percentage of assignments the Worker has submitted that were subsequently "
        "approved by the Requester, over all assignments the Worker has submitted.",
    ),
    NUMBER_APPROVED: (
        "Worker_NumberHITsApproved",
        "The total number of HITs submitted by a Worker that have been approved.",
    ),
    LOCALE: ("Worker_Locale", "The location of the Worker, as specified in the mailing address."),
    ADULT: ("Worker_Adult", "The Worker has agreed to work on potentially explicit content."),
    MASTERS: ("Masters", "Workers who have demonstrated excellence across a wide range of HITs."),
    MASTERS_SANDBOX: (
        "Masters (Sandbox)",
        "Workers who have demonstrated excellence across a wide range of HITs (sandbox).",
    ),
}


def system_types_ensure(now: datetime) -> None:
    """Create the system qualification types (owned by nobody) if they are missing."""
    existing = set(
        QualificationType.objects.filter(qualification_type_id__in=SYSTEM_TYPES).values_list(
            "qualification_type_id", flat=True
        )
    )
    for qtype_id, (name, description) in SYSTEM_TYPES.items():
        if qtype_id not in existing:
            QualificationType.objects.create(
                customer=None,
                qualification_type_id=qtype_id,
                name=name,
                description=description,
                status="Active",
                is_requestable=False,
                created_at=now,
            )


def qualification_grant(
    *, qtype: QualificationType, worker_id: str, value: int | None, now
) -> Qualification:
    """Give (or re-give) a worker a score for a qualification type."""
    qualification, _ = Qualification.objects.update_or_create(
        qualification_type=qtype,
        worker_id=worker_id,
        defaults={"integer_value": value, "status": "Granted", "grant_time": now},
    )
    return qualification


@dataclass
class WorkerValue:
    exists: bool
    integer: int | None = None
    country: str = ""
    subdivision: str = ""


def _approval_counts(worker_id: str) -> tuple[int, int]:
    approved = Assignment.objects.filter(
        worker_id=worker_id, status=Assignment.Status.APPROVED
    ).count()
    rejected = Assignment.objects.filter(
        worker_id=worker_id, status=Assignment.Status.REJECTED
    ).count()
    return approved, rejected


def worker_value(worker: Worker, qtype_id: str) -> WorkerValue:
    """The worker's value for one qualification type (system or requester-owned)."""
    if qtype_id == LOCALE:
        return WorkerValue(
            True, country=worker.locale_country, subdivision=worker.locale_subdivision
        )
    if qtype_id == ADULT:
        return WorkerValue(True, integer=1 if worker.adult else 0)
    if qtype_id in (MASTERS, MASTERS_SANDBOX):
        return WorkerValue(worker.masters, integer=1 if worker.masters else None)
    if qtype_id == NUMBER_APPROVED:
        approved, _ = _approval_counts(worker.worker_id)
        return WorkerValue(True, integer=worker.base_hits_approved + approved)
    if qtype_id == PERCENT_APPROVED:
        if worker.percent_approved_override is not None:
            return WorkerValue(True, integer=worker.percent_approved_override)
        approved, rejected = _approval_counts(worker.worker_id)
        decided = approved + rejected
        return WorkerValue(True, integer=100 if decided == 0 else (approved * 100) // decided)
    score = Qualification.objects.filter(
        qualification_type__qualification_type_id=qtype_id,
        worker_id=worker.worker_id,
        status="Granted",
    ).first()
    if score is None:
        return WorkerValue(False)
    return WorkerValue(
        True,
        integer=score.integer_value,
        country=score.locale_country,
        subdivision=score.locale_subdivision,
    )


def _locale_matches(value: WorkerValue, locale: dict) -> bool:
    if value.country != locale["Country"]:
        return False
    wanted = locale.get("Subdivision")
    return not wanted or value.subdivision == wanted


def requirement_met(requirement: dict, value: WorkerValue) -> bool:
    """All ten comparators; a worker without the qualification meets only DoesNotExist."""
    comparator = requirement["Comparator"]
    if comparator == "DoesNotExist":
        return not value.exists
    if not value.exists:
        return False
    if comparator == "Exists":
        return True
    integers = requirement.get("IntegerValues") or []
    locales = requirement.get("LocaleValues") or []
    if locales:
        matched = any(_locale_matches(value, locale) for locale in locales)
        return matched if comparator in ("EqualTo", "In") else not matched
    if value.integer is None:
        return False
    target = integers[0] if integers else None
    checks = {
        "LessThan": lambda: value.integer < target,
        "LessThanOrEqualTo": lambda: value.integer <= target,
        "GreaterThan": lambda: value.integer > target,
        "GreaterThanOrEqualTo": lambda: value.integer >= target,
        "EqualTo": lambda: value.integer == target,
        "NotEqualTo": lambda: value.integer != target,
        "In": lambda: value.integer in integers,
        "NotIn": lambda: value.integer not in integers,
    }
    return checks[comparator]()


GUARDS = {
    "accept": {"Accept", "PreviewAndAccept", "DiscoverPreviewAndAccept"},
    "preview": {"PreviewAndAccept", "DiscoverPreviewAndAccept"},
    "discover": {"DiscoverPreviewAndAccept"},
}


def unmet_requirements(worker: Worker, requirements: list[dict], action: str) -> list[dict]:
    """The requirements guarding `action` (accept / preview / discover) the worker fails."""
    guarded = GUARDS[action]
    failed = []
    for requirement in requirements:
        guard = requirement.get("ActionsGuarded") or (
            "PreviewAndAccept" if requirement.get("RequiredToPreview") else "Accept"
        )
        if guard not in guarded:
            continue
        if not requirement_met(
            requirement, worker_value(worker, requirement["QualificationTypeId"])
        ):
            failed.append(requirement)
    return failed
