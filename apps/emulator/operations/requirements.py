"""The check of a QualificationRequirements list given to CreateHIT / CreateHITType, as the API
Reference writes it (at most 10, each type existing and visible, the comparator rules); whether a
worker meets the requirements is `engine.qualifications`."""

from __future__ import annotations

from django.db.models import Q

from ..engine.qualifications import LOCALE
from ..models import QualificationType
from ..wire import errors
from . import constraints

INTEGER_COMPARATORS = {"LessThan", "LessThanOrEqualTo", "GreaterThan", "GreaterThanOrEqualTo"}
EQUALITY = {"EqualTo", "NotEqualTo"}
SETS = {"In", "NotIn"}
PRESENCE = {"Exists", "DoesNotExist"}


def requirements_clean(requirements: list[dict] | None, *, customer_id: int) -> list[dict]:
    """Check a QualificationRequirements list against the API Reference and return it in a
    canonical form (the one stored on the HIT type and echoed by GetHIT)."""
    requirements = requirements or []
    if len(requirements) > constraints.MAX_REQUIREMENTS:
        raise errors.out_of_range(
            "QualificationRequirements", f"at most {constraints.MAX_REQUIREMENTS} requirements"
        )
    cleaned = []
    seen_ids = set()
    for index, requirement in enumerate(requirements):
        label = f"QualificationRequirements[{index}]"
        qtype_id = requirement["QualificationTypeId"]
        if qtype_id in seen_ids:
            raise errors.invalid(label, f"{qtype_id} is required twice")
        seen_ids.add(qtype_id)
        _type_check(label, qtype_id, customer_id=customer_id)
        _values_check(label, requirement)
        cleaned.append(_canonical(requirement))
    return cleaned


def _type_check(label: str, qtype_id: str, *, customer_id: int) -> None:
    """The type exists and the caller may use it (its own, or a system type)."""
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


def _values_check(label: str, requirement: dict) -> None:
    """The comparator's rules on IntegerValues and LocaleValues."""
    qtype_id = requirement["QualificationTypeId"]
    comparator = requirement["Comparator"]
    integers = requirement.get("IntegerValues") or []
    locales = requirement.get("LocaleValues") or []
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
        raise errors.invalid(label, f"{comparator} needs exactly one IntegerValue or LocaleValue")
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


def _canonical(requirement: dict) -> dict:
    """The requirement as stored: only the given values, RequiredToPreview and ActionsGuarded
    always present (ActionsGuarded derived from RequiredToPreview when left out)."""
    integers = requirement.get("IntegerValues") or []
    locales = requirement.get("LocaleValues") or []
    item: dict = {
        "QualificationTypeId": requirement["QualificationTypeId"],
        "Comparator": requirement["Comparator"],
    }
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
    return item
