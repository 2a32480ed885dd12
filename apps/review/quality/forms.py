from django import forms

from apps.qualifications.models import QualificationType
from apps.review.models import AutoReviewRule, ScoreUpdate
from apps.review.quality.crowd import METHODS
from apps.review.quality.rules import MAX_DAYS


class RuleForm(forms.Form):
    kind = forms.ChoiceField(choices=AutoReviewRule.Kind.choices)
    threshold = forms.IntegerField(required=False, min_value=0, max_value=100)
    min_gold = forms.IntegerField(required=False, min_value=1, initial=3)
    days = forms.IntegerField(required=False, min_value=1, max_value=MAX_DAYS)
    feedback = forms.CharField(required=False, max_length=1024)


class ScoreSourceForm(forms.Form):
    qualification_type = forms.ModelChoiceField(queryset=QualificationType.objects.none())
    source = forms.ChoiceField(choices=ScoreUpdate.Source.choices)
    method = forms.ChoiceField(required=False, choices=list(METHODS.items()), initial="dawid_skene")

    def __init__(self, *args, requester, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["qualification_type"].queryset = QualificationType.objects.filter(
            requester=requester, gone_at=None, status="Active"
        ).order_by("name")
