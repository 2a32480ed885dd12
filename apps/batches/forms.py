from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from apps.batches import gold, starters, templating
from apps.batches.fields import DurationField
from apps.batches.models import PROJECT_HIT_FIELDS, ActionKind, Batch, BatchStatus, Project
from apps.batches.services import batch_exclusion_groups
from apps.qualifications import requirements as qualification_requirements
from apps.qualifications.models import QualificationType


def _default(name: str) -> int:
    return Project._meta.get_field(name).default


class ProjectForm(forms.ModelForm):
    # MTurk's limits: a lifetime and a time allotted from 30 seconds to a year, an automatic
    # approval after at most 30 days. A new project starts from the model's defaults.
    lifetime = DurationField(
        low=30, high=31_536_000, label="Lifetime", initial=_default("lifetime")
    )
    assignment_duration = DurationField(
        low=30, high=31_536_000, label="Time allotted", initial=_default("assignment_duration")
    )
    auto_approval_delay = DurationField(
        low=0, high=2_592_000, label="Auto-approval after", initial=_default("auto_approval_delay")
    )
    gold = forms.CharField(
        required=False,
        label="Gold answers",
        widget=forms.Textarea(attrs={"rows": 3, "class": "code", "spellcheck": "false"}),
        help_text="One per line: answer_field = csv_column. Rows with a value in the column are "
        "gold questions: each worker's answer to the field is scored against it. Gold columns "
        "must not be used in the template, or workers see the answers.",
    )

    # The gallery's starter a new project begins as (kept on the project, for its example CSV).
    starter = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Project
        fields = ["name", *PROJECT_HIT_FIELDS]
        widgets = {
            "template": forms.Textarea(attrs={"rows": 16, "class": "code", "spellcheck": "false"}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.template_warnings: list[str] = []
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["gold"] = gold.gold_fields_text(self.instance.gold_fields)

    def clean_starter(self):
        slug = self.cleaned_data.get("starter") or ""
        return slug if starters.starter_get(slug) is not None else ""

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

    def clean_worker_cap(self):
        value = self.cleaned_data.get("worker_cap")
        if value == 0:
            raise ValidationError("A cap lets each worker do at least one assignment.")
        return value

    def clean_max_assignments(self):
        value = self.cleaned_data["max_assignments"]
        if not value:
            raise ValidationError("At least one assignment per HIT.")
        return value

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
            # Saved anyway (a `${` may be meant), but said before and after the save.
            self.template_warnings = check.warnings
        if isinstance(data.get("gold"), dict):
            data["gold_fields"] = data["gold"]
        return data


class ProjectCopyForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name of the copy")
    # Any account id is taken here: the view looks the person's membership up (404 for an
    # account they are not in, 403 for a role that cannot create projects).
    requester = forms.IntegerField(label="Into the account", widget=forms.Select)
    drop_foreign = forms.BooleanField(
        required=False,
        label="Copy without the requirements the other account cannot use",
        help_text="Qualification types belong to one account: another account's HITs cannot "
        "require them.",
    )

    def __init__(self, *args, targets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requester"].widget.choices = [
            (m.requester_id, f"{m.requester.name} ({m.requester.get_environment_display()})")
            for m in targets
        ]


def requirement_formset(data, *, requester, project: Project | None):
    return qualification_requirements.requirement_formset(
        data,
        requester=requester,
        requirements=project.qualification_requirements if project else [],
    )


class BatchUploadForm(forms.Form):
    name = forms.CharField(max_length=100, label="Batch name")
    file = forms.FileField(label="CSV file", help_text="A header row naming the columns.")


class BatchReplaceUploadForm(BatchUploadForm):
    """The upload as the upload view reads it: from a batch whose CSV had errors (checked in a
    job, so it exists), the new file takes that batch's place."""

    replaces = forms.ModelChoiceField(
        queryset=Batch.objects.none(), required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replaces"].queryset = Batch.objects.filter(
            project=project, status=BatchStatus.INVALID
        )


class LaunchForm(forms.Form):
    """The launch's one confirmation: the total the person was shown (the launch is refused if
    the cost changed since) and, on a production account, the account's name typed."""

    confirm_total = forms.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, widget=forms.HiddenInput
    )
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


class BatchExcludeForm(forms.Form):
    """Exclude a batch's workers: into the batch's own exclusion group, or one chosen."""

    group = forms.ModelChoiceField(
        queryset=QualificationType.objects.none(),
        required=False,
        label="Into",
        empty_label="this batch's own exclusion group",
    )

    def __init__(self, *args, batch: Batch, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = batch_exclusion_groups(batch)


class WavePlanForm(forms.Form):
    """How a batch not yet launched is released: `size` HITs per wave, the next when the last
    is `done_percent`% done and/or every `every_minutes` (apps/batches/waves.py)."""

    size = forms.IntegerField(min_value=1, label="HITs per wave")
    done_percent = forms.IntegerField(
        min_value=1, max_value=100, required=False, label="next wave when the last is (% done)"
    )
    every_minutes = forms.IntegerField(min_value=1, required=False, label="or every (minutes)")

    def __init__(self, *args, rows: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.fields["size"].max_value = rows
        self.fields["size"].widget.attrs["max"] = rows

    def clean_size(self):
        size = self.cleaned_data["size"]
        if size > self.rows:
            raise ValidationError(f"A wave has at most the batch's {self.rows} HITs.")
        return size

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("done_percent") is None and not data.get("every_minutes"):
            raise ValidationError(
                "Say when the next wave goes: a percentage done, minutes, or both."
            )
        return data
