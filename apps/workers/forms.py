from django import forms

from apps.qualifications.models import QualificationType
from apps.review.bonuses.services import bonus_amount_clean
from mturkdash.validators import no_control_characters


class WorkerFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=64, label="Worker id")
    blocked = forms.ChoiceField(
        required=False, choices=[("", "Blocked or not"), ("yes", "Blocked"), ("no", "Not blocked")]
    )
    min_rejected = forms.IntegerField(required=False, min_value=1, label="At least rejected")
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("last_seen", "Last seen"),
            ("submitted", "Most work"),
            ("rejected", "Most rejected"),
            ("approval", "Lowest approval rate"),
            ("earned", "Most earned"),
            ("worker", "Worker id"),
        ],
    )


class BlockForm(forms.Form):
    reason = forms.CharField(max_length=1024)


class MessageForm(forms.Form):
    subject = forms.CharField(max_length=200, validators=[no_control_characters])
    text = forms.CharField(
        max_length=4096,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[no_control_characters],
    )


class ScoreForm(forms.Form):
    qualification_type = forms.ModelChoiceField(queryset=QualificationType.objects.none())
    value = forms.IntegerField(required=False, min_value=0)

    def __init__(self, *args, requester, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qualification_type"].queryset = QualificationType.objects.filter(
            requester=requester, gone_at__isnull=True
        )


class CompensationForm(forms.Form):
    amount = forms.CharField(max_length=20)
    reason = forms.CharField(max_length=2000)

    def clean_amount(self):
        return bonus_amount_clean(self.cleaned_data["amount"], what="A compensation")
