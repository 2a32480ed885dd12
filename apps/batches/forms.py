from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from apps.batches import templating
from apps.batches.models import ActionKind, Project
from apps.mturk.constants import (
    QUAL_ADULT,
    QUAL_LOCALE,
    QUAL_MASTERS_PRODUCTION,
    QUAL_MASTERS_SANDBOX,
    QUAL_NUMBER_HITS_APPROVED,
    QUAL_PERCENT_APPROVED,
)
from apps.qualifications.models import QualificationType

SYSTEM_TYPES = [
    (QUAL_PERCENT_APPROVED, "Approval rate (%)"),
    (QUAL_NUMBER_HITS_APPROVED, "Number of HITs approved"),
    (QUAL_LOCALE, "Locale"),
    (QUAL_ADULT, "Adult content (18+)"),
    (QUAL_MASTERS_PRODUCTION, "Masters (production)"),
    (QUAL_MASTERS_SANDBOX, "Masters (sandbox)"),
]
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
GUARDS = [
    ("", "MTurk's default"),
    ("Accept", "Accept"),
    ("PreviewAndAccept", "Preview and accept"),
    ("DiscoverPreviewAndAccept", "Discover, preview and accept"),
]
_LOCALE = re.compile(r"^([A-Z]{2})(?:-([A-Z0-9]{1,3}))?$")
MAX_REQUIREMENTS = 10


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "question_kind",
            "template",
            "frame_height",
            "title",
            "description",
            "keywords",
            "reward",
            "max_assignments",
            "lifetime",
            "assignment_duration",
            "auto_approval_delay",
            "annotation",
        ]
        widgets = {
            "template": forms.Textarea(attrs={"rows": 16, "class": "code", "spellcheck": "false"}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_reward(self):
        reward = self.cleaned_data["reward"]
        if reward is not None and reward < 0:
            raise ValidationError("A reward cannot be negative.")
        return reward

    def clean_max_assignments(self):
        value = self.cleaned_data["max_assignments"]
        if not value:
            raise ValidationError("At least one assignment per HIT.")
        return value

    def clean_lifetime(self):
        return _seconds(self.cleaned_data["lifetime"], 30, 31_536_000)

    def clean_assignment_duration(self):
        return _seconds(self.cleaned_data["assignment_duration"], 30, 31_536_000)

    def clean_auto_approval_delay(self):
        return _seconds(self.cleaned_data["auto_approval_delay"], 0, 2_592_000)

    def clean(self):
        data = super().clean()
        if data.get("template") and data.get("question_kind"):
            check = templating.check(
                data["template"],
                kind=data["question_kind"],
                frame_height=data.get("frame_height") or 0,
            )
            for error in check.errors:
                self.add_error("template", error)
        return data


def _seconds(value: int, low: int, high: int) -> int:
    if value is None or not low <= value <= high:
        raise ValidationError(f"Between {low:,} and {high:,} seconds.")
    return value


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
    def __init__(self, *args, requester, **kwargs):
        own = QualificationType.objects.filter(requester=requester, gone_at__isnull=True)
        self.type_choices = [*SYSTEM_TYPES, *((q.mturk_id, f"{q.name} (own)") for q in own)]
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "type_choices": self.type_choices}

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
)


def requirement_formset(data, *, requester, project: Project | None) -> BaseRequirementFormSet:
    initial = [
        requirement_initial(r) for r in (project.qualification_requirements if project else [])
    ]
    return RequirementFormSet(data, requester=requester, initial=initial, prefix="req")


class BatchUploadForm(forms.Form):
    name = forms.CharField(max_length=100)
    file = forms.FileField(label="CSV file", help_text="A header row naming the columns.")


class LaunchForm(forms.Form):
    confirm_name = forms.CharField(required=False, label="Type the account's name to launch")


class CancelForm(forms.Form):
    expire = forms.BooleanField(required=False, label="Also expire the HITs already launched")


class ActionForm(forms.Form):
    kind = forms.ChoiceField(choices=ActionKind.choices)
    hits = forms.MultipleChoiceField(required=False)
    seconds = forms.IntegerField(required=False, min_value=60, label="Extend by (seconds)")
    assignments = forms.IntegerField(required=False, min_value=1, label="Assignments to add")

    def __init__(self, *args, hit_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hits"].choices = hit_choices
