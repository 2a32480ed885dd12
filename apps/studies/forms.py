from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from apps.qualifications.models import QualificationType
from apps.studies.codes import codes_parse
from apps.studies.models import CodeMode

_PARAM = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,39}$")
MAX_LIST_CHARACTERS = 2_000_000


class StudyForm(forms.Form):
    name = forms.CharField(max_length=100)
    title = forms.CharField(max_length=128, help_text="What workers see in the list of HITs.")
    description = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    survey_url = forms.URLField(
        max_length=2000,
        assume_scheme="https",
        label="Survey URL",
        help_text="Your survey (Qualtrics, or a test survey of the local MTurk). The worker's and "
        "the assignment's ids are added to it under the parameter names below.",
    )
    worker_param = forms.CharField(max_length=40, initial="workerId", label="Worker id parameter")
    assignment_param = forms.CharField(
        max_length=40, initial="assignmentId", label="Assignment id parameter"
    )
    minutes = forms.IntegerField(min_value=1, max_value=600, initial=10, label="Minutes it takes")
    reward = forms.DecimalField(min_value=0, max_digits=10, decimal_places=2, initial="2.00")
    code_mode = forms.ChoiceField(choices=CodeMode.choices, initial=CodeMode.HMAC, label="Codes")
    fixed_code = forms.CharField(max_length=64, required=False, label="The code (one for all)")
    codes = forms.CharField(
        required=False,
        max_length=MAX_LIST_CHARACTERS,
        label="List of codes",
        widget=forms.Textarea(attrs={"rows": 4, "class": "code", "spellcheck": "false"}),
        help_text="Paste the survey's codes, one per line (a CSV's first column): each is "
        "accepted once.",
    )
    excluded = forms.ModelMultipleChoiceField(
        queryset=QualificationType.objects.none(),
        required=False,
        label="Keep out the workers of",
        help_text="Exclusion groups (earlier studies' participants) whose members may not take it.",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, requester=None, own_group=None, **kwargs):
        super().__init__(*args, **kwargs)
        groups = QualificationType.objects.filter(
            requester=requester, group="exclude", gone_at__isnull=True
        )
        if own_group is not None:
            groups = groups.exclude(pk=own_group.pk)
        self.fields["excluded"].queryset = groups.order_by("name")
        self.codes: list[str] = []

    def clean_survey_url(self):
        url = self.cleaned_data["survey_url"]
        if not url.lower().startswith(("http://", "https://")):
            raise ValidationError("The survey's address starts with http:// or https://.")
        return url

    def _param(self, name: str) -> str:
        value = self.cleaned_data[name].strip()
        if not _PARAM.match(value):
            raise ValidationError("Letters, digits, _ . - only, starting with a letter.")
        return value

    def clean_worker_param(self):
        return self._param("worker_param")

    def clean_assignment_param(self):
        return self._param("assignment_param")

    def clean_codes(self):
        text = self.cleaned_data.get("codes") or ""
        if not text.strip():
            return ""
        try:
            self.codes = codes_parse(text)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        return text

    def clean(self):
        data = super().clean()
        if data.get("worker_param") and data.get("worker_param") == data.get("assignment_param"):
            self.add_error("assignment_param", "The two ids need two parameter names.")
        return data


class PublishForm(forms.Form):
    participants = forms.IntegerField(min_value=1, max_value=100_000, initial=9)
    name = forms.CharField(max_length=100, required=False, label="Batch name")
