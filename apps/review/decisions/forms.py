from django import forms

from apps.batches.models import Batch
from apps.hits.models import AssignmentStatus, HITType


class ReviewFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        initial="Submitted",
        choices=[
            ("Submitted", "To review"),
            ("Approved", "Approved"),
            ("Rejected", "Rejected"),
            ("", "Any"),
        ],
    )
    hit_type = forms.ModelChoiceField(
        queryset=HITType.objects.none(), required=False, empty_label="Any HIT type"
    )
    batch = forms.ChoiceField(required=False)
    hit = forms.CharField(required=False, max_length=64, label="HIT id")
    worker = forms.CharField(required=False, max_length=64, label="Worker id")
    answer = forms.CharField(required=False, max_length=200, label="Answer contains")
    submitted_from = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Submitted from"
    )
    submitted_to = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="to"
    )
    agreement_below = forms.IntegerField(
        required=False, min_value=0, max_value=100, label="Agreement below (%)"
    )
    soon = forms.BooleanField(required=False, label="Auto-approving within 24 h")
    sort = forms.ChoiceField(
        required=False, choices=[("submitted", "Oldest first"), ("deadline", "Auto-approval first")]
    )

    def __init__(self, *args, requester, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and "status" not in self.data:
            # A link that names no status (`?batch=3`) means what is left to review, and the
            # status select says so.
            self.data = self.data.copy()
            self.data["status"] = AssignmentStatus.SUBMITTED
        self.fields["hit_type"].queryset = HITType.objects.filter(requester=requester).order_by(
            "title"
        )
        # Batches that reached MTurk (only those have HITs to review), read once for both the
        # choices and the chosen one.
        self._batches = {
            str(batch.pk): batch
            for batch in Batch.objects.filter(requester=requester)
            .exclude(hit_type_mturk_id="")
            .only("pk", "name", "launch_key")
            .order_by("-created_at", "-id")
        }
        self.fields["batch"].choices = [("", "Any batch")] + [
            (pk, batch.name) for pk, batch in self._batches.items()
        ]

    def clean_batch(self):
        return self._batches.get(self.cleaned_data.get("batch") or "")

    def filters(self) -> dict:
        if not self.is_bound:
            return {"status": AssignmentStatus.SUBMITTED}
        if not self.is_valid():
            return {"status": AssignmentStatus.SUBMITTED}
        return dict(self.cleaned_data)


class DecisionForm(forms.Form):
    feedback = forms.CharField(
        required=False, max_length=1024, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(required=False, max_length=1024)
    save_reason = forms.BooleanField(required=False)
