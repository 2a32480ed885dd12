from django import forms

from apps.review.bonuses.by_rule import MODES


class BonusForm(forms.Form):
    amount = forms.CharField(max_length=12)
    reason = forms.CharField(max_length=1024)


class BatchBonusForm(forms.Form):
    mode = forms.ChoiceField(choices=list(MODES.items()))
    amount = forms.CharField(max_length=12)
    reason = forms.CharField(max_length=1024)
