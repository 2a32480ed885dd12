"""Qualification requirements: system qualification types, checking a requirement list when a
HIT type is created, and deciding whether a worker meets them when accepting or previewing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from . import errors, rules
from .models import Assignment, Qualification, QualificationType, Worker

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
INTEGER_COMPARATORS = {"LessThan", "LessThanOrEqualTo", "GreaterThan", "GreaterThanOrEqualTo"}
EQUALITY = {"EqualTo", "NotEqualTo"}
SETS = {"In", "NotIn"}
PRESENCE = {"Exists", "DoesNotExist"}


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


def requirements_clean(requirements: list[dict] | None, *, customer_id: int) -> list[dict]:
    """Check a QualificationRequirements list against the API Reference and return it in a
    canonical form (the one stored on the HIT type and echoed by GetHIT)."""
    requirements = requirements or []
    if len(requirements) > rules.MAX_REQUIREMENTS:
        raise errors.out_of_range(
            "QualificationRequirements", f"at most {rules.MAX_REQUIREMENTS} requirements"
        )
    cleaned = []
    seen_ids = set()
    for index, requirement in enumerate(requirements):
        label = f"QualificationRequirements[{index}]"
        qtype_id = requirement["QualificationTypeId"]
        comparator = requirement["Comparator"]
        integers = requirement.get("IntegerValues") or []
        locales = requirement.get("LocaleValues") or []
        if qtype_id in seen_ids:
            raise errors.invalid(label, f"{qtype_id} is required twice")
        seen_ids.add(qtype_id)
        exists = QualificationType.objects.filter(
            Q(customer_id=customer_id) | Q(customer__isnull=True),
            qualification_type_id=qtype_id,
            deleted=False,
        ).exists()
        if not exists:
            raise errors.RequestError(
                errors.QUALIFICATION_TYPE_DOES_NOT_EXIST,
                f"{label}: QualificationType {qtype_id} does not exist.",
            )
        if integers and locales:
            raise errors.invalid(label, "give IntegerValues or LocaleValues, not both")
        if qtype_id == LOCALE and integers:
            raise errors.invalid(label, "Worker_Locale takes LocaleValues, not IntegerValues")
        if locales and qtype_id != LOCALE:
            raise errors.invalid(label, "LocaleValues can only be used with Worker_Locale")
        if comparator in PRESENCE and (integers or locales):
            raise errors.invalid(label, f"{comparator} takes no IntegerValues or LocaleValues")
        if comparator in INTEGER_COMPARATORS:
            if qtype_id == LOCALE:
                raise errors.invalid(label, f"{comparator} cannot be used with Worker_Locale")
            if len(integers) != 1:
                raise errors.invalid(label, f"{comparator} needs exactly one IntegerValue")
        if comparator in EQUALITY and len(integers) + len(locales) != 1:
            raise errors.invalid(
                label, f"{comparator} needs exactly one IntegerValue or LocaleValue"
            )
        if comparator in SETS:
            if not integers and not locales:
                raise errors.invalid(label, f"{comparator} needs IntegerValues or LocaleValues")
            if len(integers) > 15:
                raise errors.out_of_range(label, "at most 15 IntegerValues")
            if len(locales) > 30:
                raise errors.out_of_range(label, "at most 30 LocaleValues")
        for locale in locales:
            if not locale["Country"].isalpha() or not locale["Country"].isupper():
                raise errors.invalid(label, "Country must be an ISO 3166 code like US")
        item: dict = {"QualificationTypeId": qtype_id, "Comparator": comparator}
        if integers:
            item["IntegerValues"] = integers
        if locales:
            item["LocaleValues"] = [
                {k: v for k, v in locale.items() if k in ("Country", "Subdivision")}
                for locale in locales
            ]
        item["RequiredToPreview"] = bool(requirement.get("RequiredToPreview", False))
        guarded = requirement.get("ActionsGuarded")
        if guarded is None:
            guarded = "PreviewAndAccept" if item["RequiredToPreview"] else "Accept"
        item["ActionsGuarded"] = guarded
        cleaned.append(item)
    return cleaned


@dataclass
class WorkerValue:
    exists: bool
    integer: int | None = None
    country: str = ""
    subdivision: str = ""


def worker_get_or_create(worker_id: str) -> Worker:
    worker, _ = Worker.objects.get_or_create(worker_id=worker_id)
    return worker


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
