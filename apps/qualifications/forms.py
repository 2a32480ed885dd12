from django import forms
from django.urls import reverse_lazy

from apps.batches.fields import DurationField, DurationWidget
from apps.batches.models import Batch
from apps.hits.models import HITType
from apps.qualifications.testxml import qualification_test_check
from mturkdash.validators import no_control_characters

# MTurk names no upper bound for a test's time limit or retry delay; a year is past any use.
LONGEST = 365 * 86_400


def _rechecks_test(widget: forms.Widget) -> forms.Widget:
    """A setting the test check depends on: changing it refreshes the check beside the test."""
    widget.attrs.update(
        {
            "hx-post": reverse_lazy("qualifications-test-check"),
            "hx-trigger": "change",
            "hx-target": "#test-check",
            "hx-swap": "outerHTML",
            "hx-include": "#id_test, #id_answer_key, #id_test_duration, #id_test_duration_unit, "
            "#id_auto_granted, [name^='right-']",
        }
    )
    return widget


class QualificationTypeForm(forms.Form):
    name = forms.CharField(max_length=255, validators=[no_control_characters])
    description = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[no_control_characters],
    )
    keywords = forms.CharField(max_length=1000, required=False, validators=[no_control_characters])
    status = forms.ChoiceField(choices=[("Active", "Active"), ("Inactive", "Inactive")])
    retry_delay = DurationField(
        low=0,
        high=LONGEST,
        required=False,
        label="Retry delay",
        help_text="How long a worker waits to take the test again. Empty: only one try.",
    )
    test = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), label="Test (QuestionForm XML)"
    )
    test_duration = DurationField(
        low=1,
        high=LONGEST,
        required=False,
        label="Test time limit",
        widget=_rechecks_test(DurationWidget()),
    )
    answer_key = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), label="Answer key (AnswerKey XML)"
    )
    auto_granted = forms.BooleanField(
        required=False,
        label="Grant at once on request (not with a test)",
        widget=_rechecks_test(forms.CheckboxInput()),
    )
    auto_granted_value = forms.IntegerField(required=False, label="Value granted")
    group = forms.ChoiceField(
        required=False,
        choices=[
            ("", "An ordinary qualification"),
            ("exclude", "Exclusion group (soft block)"),
            ("include", "Inclusion list"),
        ],
        label="Managed as",
    )

    def clean(self):
        """The test settings are checked together, each error beside its own field; the
        check is kept for the page (preview, best score, the answer-key helper)."""
        data = super().clean()
        self.test_check = qualification_test_check(
            test=data.get("test") or "",
            answer_key=data.get("answer_key") or "",
            test_duration=data.get("test_duration"),
            auto_granted=bool(data.get("auto_granted")),
        )
        check = self.test_check
        for name, errors in (
            ("test", check.test_errors),
            ("answer_key", check.key_errors),
            ("test_duration", check.duration_errors),
            ("auto_granted", check.auto_grant_errors),
        ):
            for error in errors:
                self.add_error(name, error)
        return data


class GrantForm(forms.Form):
    worker_id = forms.CharField(max_length=64)
    value = forms.IntegerField(required=False)


class RequestDecisionForm(forms.Form):
    value = forms.IntegerField(required=False)
    reason = forms.CharField(required=False, max_length=1024)


class GroupAddForm(forms.Form):
    batch = forms.ModelChoiceField(
        queryset=Batch.objects.none(), required=False, label="Everyone who worked on batch"
    )
    attach = forms.BooleanField(required=False, label="and whoever submits to it from now on")
    hit_type = forms.ModelChoiceField(
        queryset=HITType.objects.none(), required=False, label="Or on HIT type"
    )
    workers = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Or these worker ids"
    )

    def __init__(self, *args, requester, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hit_type"].queryset = HITType.objects.filter(requester=requester).order_by(
            "title"
        )
        self.fields["batch"].queryset = Batch.objects.filter(requester=requester).order_by("-pk")
