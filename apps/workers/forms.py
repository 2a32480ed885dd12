import re

from django import forms
from django.core.exceptions import ValidationError

from apps.mturk.ids import worker_id_clean
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
        label="Message",
        max_length=4096,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[no_control_characters],
    )


# Pasted from a spreadsheet column, a CSV row or a list: lines, commas, semicolons or spaces.
_WORKER_ID_SEPARATORS = re.compile(r"[\s,;]+")
MESSAGE_MANY_MAX = 10_000  # one send is 100 NotifyWorkers calls at most
BAD_IDS_LISTED = 10


class MessageManyForm(MessageForm):
    """One message to many workers: the ids pasted (or filled from a batch), counted before
    sending. `expected` is the count the person was shown; a send whose list no longer has that
    many workers is shown again instead of sent."""

    worker_ids = forms.CharField(
        label="Workers",
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text="Worker ids, one per line (or separated by commas or spaces).",
    )
    expected = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    field_order = ["worker_ids", "subject", "text"]

    def clean_worker_ids(self) -> list[str]:
        tokens = [t for t in _WORKER_ID_SEPARATORS.split(self.cleaned_data["worker_ids"]) if t]
        ids, bad = [], []
        for token in tokens:
            try:
                ids.append(worker_id_clean(token))
            except ValidationError:
                bad.append(token)
        if bad:
            listed = ", ".join(repr(b[:70]) for b in bad[:BAD_IDS_LISTED])
            more = f" and {len(bad) - BAD_IDS_LISTED} more" if len(bad) > BAD_IDS_LISTED else ""
            raise ValidationError(
                f"{len(bad)} of the entries "
                f"{'is not a worker id' if len(bad) == 1 else 'are not worker ids'}"
                f" (A followed by letters and digits): {listed}{more}. Nothing was sent:"
                " correct or remove them."
            )
        unique = list(dict.fromkeys(ids))
        if not unique:
            raise ValidationError("Name at least one worker.")
        if len(unique) > MESSAGE_MANY_MAX:
            raise ValidationError(
                f"{len(unique):,} workers: one message goes to at most {MESSAGE_MANY_MAX:,}."
                " Split the list."
            )
        return unique


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
