from django import forms

from apps.review.bonuses.by_rule import MODES
from apps.review.bonuses.services import bonus_amount_clean


class BonusForm(forms.Form):
    amount = forms.CharField(max_length=20)
    reason = forms.CharField(max_length=1024)
    # The nonce the card handed out: a double submit of one form pays once. It is never a
    # token by itself (see `services.bonus_token`).
    token = forms.CharField(required=False, max_length=100)
    # Said yes to a bonus past the reviewers' cap (a manager's): without it such a bonus only asks.
    confirm = forms.BooleanField(required=False)

    def clean_amount(self):
        return bonus_amount_clean(self.cleaned_data["amount"])


class BatchBonusForm(forms.Form):
    mode = forms.ChoiceField(choices=list(MODES.items()))
    amount = forms.CharField(max_length=20)
    reason = forms.CharField(max_length=1024)

    def clean_amount(self):
        return bonus_amount_clean(self.cleaned_data["amount"])
