from django import forms

from apps.requesters.models import Requester


class AuditFilterForm(forms.Form):
    requester = forms.ModelChoiceField(
        queryset=Requester.objects.none(), required=False, label="Account"
    )
    action = forms.CharField(required=False, max_length=64)
    actor = forms.CharField(required=False, max_length=150, label="Who")
    target = forms.CharField(required=False, max_length=128, label="Target id")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    money_only = forms.BooleanField(required=False, label="Money only")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requester"].queryset = Requester.objects.filter(memberships__user=user)
