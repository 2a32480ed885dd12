from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from apps.batches import gold, templating
from apps.batches.models import ActionKind, Project
from apps.qualifications import requirements as qualification_requirements


class ProjectForm(forms.ModelForm):
    gold = forms.CharField(
        required=False,
        label="Gold answers",
        widget=forms.Textarea(attrs={"rows": 3, "class": "code", "spellcheck": "false"}),
        help_text="One per line: answer_field = csv_column. Rows with a value in the column are "
        "gold questions: each worker's answer to the field is scored against it. Gold columns "
        "must not be used in the template, or workers see the answers.",
    )

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["gold"] = gold.gold_fields_text(self.instance.gold_fields)

    def clean_gold(self):
        return gold.gold_fields_parse(self.cleaned_data.get("gold", ""))

    @property
    def gold_warnings(self) -> list[str]:
        """Gold columns the template shows to the worker (allowed, but it gives the answer away)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        mapping = data.get("gold") if isinstance(data.get("gold"), dict) else None
        if mapping is None:
            mapping = self.instance.gold_fields if self.instance else {}
        template = data.get("template") or (self.instance.template if self.instance else "")
        shown = set(templating.variables(template or ""))
        return [
            f"The template shows the gold column {column!r}: workers would see the answer."
            for column in (mapping or {}).values()
            if column in shown
        ]

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
        if isinstance(data.get("gold"), dict):
            data["gold_fields"] = data["gold"]
        return data


def _seconds(value: int, low: int, high: int) -> int:
    if value is None or not low <= value <= high:
        raise ValidationError(f"Between {low:,} and {high:,} seconds.")
    return value


def requirement_formset(data, *, requester, project: Project | None):
    return qualification_requirements.requirement_formset(
        data,
        requester=requester,
        requirements=project.qualification_requirements if project else [],
    )


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
