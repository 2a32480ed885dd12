"""The qualification-requirements builder, shared by projects and the qualification pages.

A requirement is kept in MTurk's wire shape (`QualificationTypeId`, `Comparator`,
`IntegerValues` / `LocaleValues`, `ActionsGuarded`). The form refuses what MTurk refuses, and
`requirements_describe` says in one sentence who can work on the HITs.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from apps.mturk.constants import (
    MASTERS_IDS,
    QUAL_ADULT,
    QUAL_LOCALE,
    QUAL_MASTERS_PRODUCTION,
    QUAL_MASTERS_SANDBOX,
    QUAL_NUMBER_HITS_APPROVED,
    QUAL_PERCENT_APPROVED,
)
from apps.qualifications.models import QualificationType
from apps.requesters.models import Environment, Requester

COMPARATORS = [
    ("LessThan", "<"),
    ("LessThanOrEqualTo", "≤"),
    ("GreaterThan", ">"),
    ("GreaterThanOrEqualTo", "≥"),
    ("EqualTo", "="),
    ("NotEqualTo", "≠"),
    ("Exists", "exists"),
    ("DoesNotExist", "does not exist"),
    ("In", "in"),
    ("NotIn", "not in"),
]
SYMBOLS = dict(COMPARATORS)
GUARDS = [
    ("", "MTurk's default"),
    ("Accept", "Accept"),
    ("PreviewAndAccept", "Preview and accept"),
    ("DiscoverPreviewAndAccept", "Discover, preview and accept"),
]
MAX_REQUIREMENTS = 10
MAX_IN_INTEGERS = 15
MAX_IN_LOCALES = 30
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
_LOCALE = re.compile(r"^([A-Z]{2})(?:-([A-Z0-9]{1,3}))?$")


def masters_id(requester: Requester) -> str:
    """Masters has one id in production and another in the sandbox (and the local MTurk)."""
    return (
        QUAL_MASTERS_PRODUCTION
        if requester.environment == Environment.PRODUCTION
        else QUAL_MASTERS_SANDBOX
    )


def system_types(requester: Requester) -> list[tuple[str, str]]:
    return [
        (QUAL_PERCENT_APPROVED, "Approval rate (%)"),
        (QUAL_NUMBER_HITS_APPROVED, "Number of HITs approved"),
        (QUAL_LOCALE, "Locale"),
        (QUAL_ADULT, "Adult content (18+)"),
        (masters_id(requester), "Masters"),
    ]


def requirement_check(requirement: dict) -> None:
    """Refuse a requirement MTurk would refuse; the message says why."""
    type_id, comparator = requirement["QualificationTypeId"], requirement["Comparator"]
    integers = requirement.get("IntegerValues") or []
    if type_id in MASTERS_IDS and comparator not in ("Exists", "DoesNotExist"):
        raise ValidationError("Masters is required with exists or does not exist.")
    if type_id == QUAL_ADULT and comparator not in ("Exists", "DoesNotExist", "EqualTo"):
        raise ValidationError("Adult content is required with = 1 (or exists).")
    if type_id == QUAL_ADULT and comparator == "EqualTo" and integers != [1]:
        raise ValidationError("Adult content is required as = 1.")
    if type_id == QUAL_PERCENT_APPROVED and any(not 0 <= v <= 100 for v in integers):
        raise ValidationError("An approval rate is a percentage from 0 to 100.")
    if type_id == QUAL_NUMBER_HITS_APPROVED and any(v < 0 for v in integers):
        raise ValidationError("A number of HITs approved is 0 or more.")
    if any(not INT_MIN <= v <= INT_MAX for v in integers):
        raise ValidationError("Values must fit in MTurk's 32-bit integers.")
    if comparator in ("In", "NotIn"):
        if len(integers) > MAX_IN_INTEGERS:
            raise ValidationError(f"At most {MAX_IN_INTEGERS} numbers with in / not in.")
        if len(requirement.get("LocaleValues") or []) > MAX_IN_LOCALES:
            raise ValidationError(f"At most {MAX_IN_LOCALES} locales with in / not in.")


class RequirementForm(forms.Form):
    qualification_type = forms.ChoiceField(required=False, label="Qualification")
    comparator = forms.ChoiceField(choices=[("", "—"), *COMPARATORS], required=False)
    values = forms.CharField(
        required=False,
        label="Values",
        help_text="Numbers, or locales like US, GB, US-NY; several separated by commas.",
    )
    actions_guarded = forms.ChoiceField(choices=GUARDS, required=False, label="Applies to")

    def __init__(self, *args, type_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qualification_type"].choices = [("", "—"), *type_choices]

    def clean(self):
        data = super().clean()
        type_id = data.get("qualification_type")
        if not type_id:
            return data
        comparator = data.get("comparator") or ""
        if not comparator:
            raise ValidationError("Choose a comparator.")
        raw = [v.strip() for v in (data.get("values") or "").split(",") if v.strip()]
        requirement: dict = {"QualificationTypeId": type_id, "Comparator": comparator}
        if comparator in ("Exists", "DoesNotExist"):
            if raw:
                raise ValidationError(f"{comparator} takes no value.")
        elif type_id == QUAL_LOCALE:
            if comparator not in ("EqualTo", "NotEqualTo", "In", "NotIn"):
                raise ValidationError("A locale compares with =, ≠, in or not in.")
            locales = []
            for item in raw:
                match = _LOCALE.match(item.upper())
                if not match:
                    raise ValidationError(f"{item!r} is not a locale like US or US-NY.")
                locale = {"Country": match.group(1)}
                if match.group(2):
                    locale["Subdivision"] = match.group(2)
                locales.append(locale)
            if not locales or (comparator in ("EqualTo", "NotEqualTo") and len(locales) != 1):
                raise ValidationError("Give one locale (or several with in / not in).")
            requirement["LocaleValues"] = locales
        else:
            try:
                numbers = [int(item) for item in raw]
            except ValueError:
                raise ValidationError("Values must be whole numbers.") from None
            if not numbers or (comparator not in ("In", "NotIn") and len(numbers) != 1):
                raise ValidationError("Give one number (or several with in / not in).")
            requirement["IntegerValues"] = numbers
        if data.get("actions_guarded"):
            requirement["ActionsGuarded"] = data["actions_guarded"]
        requirement_check(requirement)
        data["requirement"] = requirement
        return data


def requirement_initial(requirement: dict) -> dict:
    values = requirement.get("IntegerValues") or [
        "-".join(filter(None, [loc.get("Country"), loc.get("Subdivision")]))
        for loc in requirement.get("LocaleValues") or []
    ]
    return {
        "qualification_type": requirement.get("QualificationTypeId", ""),
        "comparator": requirement.get("Comparator", ""),
        "values": ", ".join(str(v) for v in values),
        "actions_guarded": requirement.get("ActionsGuarded", ""),
    }


class BaseRequirementFormSet(forms.BaseFormSet):
    def __init__(self, *args, requester: Requester, **kwargs):
        # A deleted type is disposed of over hours: MTurk refuses requirements on it meanwhile.
        own = QualificationType.objects.filter(requester=requester, gone_at__isnull=True).exclude(
            status="Disposing"
        )
        self.type_choices = [
            *system_types(requester),
            *((q.mturk_id, f"{q.name} (own)") for q in own),
        ]
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "type_choices": self.type_choices}

    def clean(self):
        super().clean()
        seen = [
            f.cleaned_data["requirement"]["QualificationTypeId"]
            for f in self.forms
            if "requirement" in getattr(f, "cleaned_data", {})
        ]
        if len(seen) != len(set(seen)):
            raise ValidationError("Each qualification can be required once per HIT.")

    def requirements(self) -> list[dict]:
        return [
            f.cleaned_data["requirement"] for f in self.forms if "requirement" in f.cleaned_data
        ]


RequirementFormSet = forms.formset_factory(
    RequirementForm,
    formset=BaseRequirementFormSet,
    extra=3,
    max_num=MAX_REQUIREMENTS,
    validate_max=True,
    # A forged total never makes more forms than MTurk allows requirements.
    absolute_max=MAX_REQUIREMENTS,
)


def requirement_formset(
    data, *, requester: Requester, requirements: list[dict]
) -> BaseRequirementFormSet:
    initial = [requirement_initial(r) for r in requirements]
    return RequirementFormSet(data, requester=requester, initial=initial, prefix="req")


def _values(requirement: dict) -> list[str]:
    if requirement.get("LocaleValues"):
        return [
            "-".join(filter(None, [loc.get("Country"), loc.get("Subdivision")]))
            for loc in requirement["LocaleValues"]
        ]
    return [str(v) for v in requirement.get("IntegerValues") or []]


def _joined(values: list[str], word: str = "or") -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} {word} {values[-1]}"


def requirements_describe(requirements: list[dict], *, requester: Requester) -> str:
    """One sentence for who can work on the HITs, e.g. "Workers in US or CA, with an approval
    rate ≥ 95%, who are not in Did study 1." """
    if not requirements:
        return "Any worker."
    names = {q.mturk_id: q.name for q in QualificationType.objects.filter(requester=requester)}
    parts = []
    for r in requirements:
        type_id, comparator, values = r["QualificationTypeId"], r["Comparator"], _values(r)
        symbol = SYMBOLS.get(comparator, comparator)
        if type_id == QUAL_LOCALE:
            where = _joined(values)
            parts.append(
                f"not in {where}" if comparator in ("NotEqualTo", "NotIn") else f"in {where}"
            )
        elif type_id == QUAL_PERCENT_APPROVED:
            parts.append(f"with an approval rate {symbol} {_joined(values)}%")
        elif type_id == QUAL_NUMBER_HITS_APPROVED:
            parts.append(f"with {symbol} {_joined(values)} HITs approved")
        elif type_id in MASTERS_IDS:
            parts.append("who are Masters" if comparator == "Exists" else "who are not Masters")
        elif type_id == QUAL_ADULT:
            parts.append(
                "who agreed to adult content"
                if comparator != "DoesNotExist"
                else "who did not agree to adult content"
            )
        else:
            name = names.get(type_id, type_id)
            if comparator == "Exists":
                parts.append(f"who have {name}")
            elif comparator == "DoesNotExist":
                parts.append(f"who do not have {name}")
            elif comparator in ("In", "NotIn"):
                parts.append(
                    f"whose {name} is {'' if comparator == 'In' else 'not '}{_joined(values)}"
                )
            else:
                parts.append(f"whose {name} is {symbol} {_joined(values)}")
    return "Workers " + ", ".join(parts) + "."


# Requirements by name, one label each, as the pages list them ("Approval rate >= 95%",
# "Masters", "Location is US", "Did study 1 does not exist"): never a raw type id for a type
# the account knows.
_LABEL_SYMBOLS = {
    "LessThan": "<",
    "LessThanOrEqualTo": "<=",
    "GreaterThan": ">",
    "GreaterThanOrEqualTo": ">=",
    "EqualTo": "=",
    "NotEqualTo": "!=",
}
_GUARD_LABELS = {
    "Accept": "needed to accept",
    "PreviewAndAccept": "needed to preview and accept",
    "DiscoverPreviewAndAccept": "needed to find, preview and accept",
}


def _label_compare(name: str, comparator: str, values: list[str], unit: str = "") -> str:
    if comparator == "Exists":
        return f"{name} exists"
    if comparator == "DoesNotExist":
        return f"{name} does not exist"
    if comparator in ("In", "NotIn"):
        listed = ", ".join(f"{v}{unit}" for v in values)
        return f"{name} {'is' if comparator == 'In' else 'is not'} one of {listed}"
    return f"{name} {_LABEL_SYMBOLS.get(comparator, comparator)} {_joined(values)}{unit}"


def requirement_label(requirement: dict, *, names: dict[str, str]) -> str:
    """One requirement by name; `names` maps the account's own type ids to their names."""
    type_id = requirement.get("QualificationTypeId", "")
    comparator = requirement.get("Comparator", "")
    values = _values(requirement)
    if type_id == QUAL_LOCALE:
        if comparator in ("In", "NotIn"):
            verb = "is" if comparator == "In" else "is not"
            label = f"Location {verb} one of {', '.join(values)}"
        else:
            verb = "is not" if comparator == "NotEqualTo" else "is"
            label = f"Location {verb} {_joined(values)}"
    elif type_id == QUAL_PERCENT_APPROVED:
        label = _label_compare("Approval rate", comparator, values, "%")
    elif type_id == QUAL_NUMBER_HITS_APPROVED:
        label = _label_compare("HITs approved", comparator, values)
    elif type_id in MASTERS_IDS:
        label = "Not Masters" if comparator == "DoesNotExist" else "Masters"
    elif type_id == QUAL_ADULT:
        label = (
            "Not agreed to adult content"
            if comparator == "DoesNotExist"
            else "Agreed to adult content"
        )
    else:
        name = names.get(type_id) or f"Qualification {type_id} (not of this account)"
        label = _label_compare(name, comparator, values)
    guard = _GUARD_LABELS.get(requirement.get("ActionsGuarded", ""))
    return f"{label} ({guard})" if guard else label


def requirement_names(requester: Requester) -> dict[str, str]:
    """The account's own qualification types, id to name, for `requirement_label`."""
    return dict(
        QualificationType.objects.filter(requester=requester).values_list("mturk_id", "name")
    )


def requirements_labels(requirements: list[dict], *, requester: Requester) -> list[str]:
    """Every requirement by name, in order (one query for the account's type names)."""
    if not requirements:
        return []
    names = requirement_names(requester)
    return [requirement_label(r, names=names) for r in requirements]
