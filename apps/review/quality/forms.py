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


class RedundancyForm(forms.Form):
    """The settings of adaptive redundancy: agreement in percent, counts, and a cost cap."""

    threshold = forms.IntegerField(
        min_value=1,
        max_value=100,
        initial=70,
        label="Agreement under (%)",
        help_text="A HIT is asked again when one of its fields agrees less than this.",
    )
    extra = forms.IntegerField(
        min_value=1, max_value=100, initial=2, label="More assignments per HIT"
    )
    max_per_hit = forms.IntegerField(
        min_value=2,
        max_value=1000,
        initial=7,
        label="At most, per HIT",
        help_text="A HIT made with fewer than 10 assignments can have at most 9: MTurk refuses "
        "to cross 10 (its fee doubles there).",
    )
    cost_cap = forms.DecimalField(
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
        label="Cost cap ($)",
        help_text="Rewards and fees of the extra assignments, at most. A rule needs one.",
    )

    def settings(self) -> dict:
        data = self.cleaned_data
        return {
            "threshold": data["threshold"] / 100,
            "extra": data["extra"],
            "max_per_hit": data["max_per_hit"],
            "cost_cap": data.get("cost_cap"),
        }
