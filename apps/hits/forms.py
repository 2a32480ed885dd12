from django import forms

from apps.batches.models import Batch
from apps.hits.models import HITStatus, HITType


class HITFilterForm(forms.Form):
    text = forms.CharField(required=False, max_length=128, label="Title, annotation or HIT id")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *HITStatus.choices])
    hit_type = forms.ModelChoiceField(
        queryset=HITType.objects.none(), required=False, empty_label="Any HIT type"
    )
    created_from = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Created from"
    )
    created_to = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="to"
    )
    batch = forms.ModelChoiceField(
        queryset=Batch.objects.none(), required=False, empty_label="Any batch"
    )
    include_gone = forms.BooleanField(required=False, label="Include deleted at MTurk")

    def __init__(self, *args, requester, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hit_type"].queryset = HITType.objects.filter(requester=requester).order_by(
            "title"
        )
        self.fields["batch"].queryset = Batch.objects.filter(requester=requester).exclude(
            hit_type_mturk_id=""
        )
