from django import forms

from apps.batches.models import Batch
from apps.hits.models import HITType


class QualificationTypeForm(forms.Form):
    name = forms.CharField(max_length=255)
    description = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    keywords = forms.CharField(max_length=1000, required=False)
    status = forms.ChoiceField(choices=[("Active", "Active"), ("Inactive", "Inactive")])
    retry_delay = forms.IntegerField(required=False, min_value=0, label="Retry delay (seconds)")
    test = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), label="Test (QuestionForm XML)"
    )
    test_duration = forms.IntegerField(
        required=False, min_value=1, label="Test time limit (seconds)"
    )
    answer_key = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), label="Answer key (AnswerKey XML)"
    )
    auto_granted = forms.BooleanField(required=False, label="Grant at once on request")
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
