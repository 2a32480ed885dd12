from __future__ import annotations

from django import forms

from apps.requesters.crypto import refuse_token
from apps.requesters.models import CredentialSource, Environment, Requester
from apps.requesters.roles import Role

# Typed into the account form, never shown again: kept out of error reports too.
SECRET_FIELDS = ("new_access_key_id", "new_secret_access_key")

_FIELDS = [
    "name",
    "environment",
    "endpoint_url",
    "credential_source",
    "access_key_env",
    "secret_key_env",
    "aws_profile",
    "sqs_queue_url",
    "bonus_cap",
    "daily_spend_limit",
    "target_hourly_rate",
    "requests_per_second",
]


class RequesterForm(forms.ModelForm):
    """Account settings. Stored keys are write-only: left empty on edit, they stay as they are."""

    endpoint_url = forms.URLField(
        required=False,
        assume_scheme="https",
        help_text="Leave empty for the environment's standard endpoint.",
    )
    sqs_queue_url = forms.URLField(required=False, assume_scheme="https", label="SQS queue URL")
    new_access_key_id = forms.CharField(
        label="Access key id",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        validators=[refuse_token],
    )
    new_secret_access_key = forms.CharField(
        label="Secret access key",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        validators=[refuse_token],
    )

    class Meta:
        model = Requester
        fields = _FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left empty, the rate stays what it is (a new account's: the default).
        self.fields["target_hourly_rate"].required = False

    def clean_target_hourly_rate(self):
        rate = self.cleaned_data.get("target_hourly_rate")
        if rate is None:
            return self.instance.target_hourly_rate
        return rate

    def clean(self):
        data = super().clean()
        source = data.get("credential_source")
        if source == CredentialSource.ENCRYPTED:
            has_stored = bool(
                self.instance.pk and self.instance.access_key_id and self.instance.secret_access_key
            )
            new = (data.get("new_access_key_id"), data.get("new_secret_access_key"))
            if any(new) and not all(new):
                raise forms.ValidationError(
                    "Give both the access key id and the secret access key."
                )
            if not has_stored and not all(new):
                raise forms.ValidationError(
                    "Give the access key id and the secret access key to store."
                )
        elif source == CredentialSource.ENVIRONMENT:
            for name in ("access_key_env", "secret_key_env"):
                if not data.get(name):
                    self.add_error(name, "Name the environment variable.")
        elif source == CredentialSource.PROFILE and not data.get("aws_profile"):
            self.add_error("aws_profile", "Name the AWS profile.")
        endpoint = data.get("endpoint_url") or ""
        if (
            data.get("environment") == Environment.PRODUCTION
            and endpoint
            and not endpoint.startswith("https://")
        ):
            self.add_error("endpoint_url", "A production endpoint must use https.")
        return data

    def model_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in _FIELDS}

    def secrets(self) -> dict[str, str]:
        return {
            "access_key_id": self.cleaned_data.get("new_access_key_id", ""),
            "secret_access_key": self.cleaned_data.get("new_secret_access_key", ""),
        }


class MemberAddForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
