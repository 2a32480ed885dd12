"""Fair pay: the time a batch's work took, the reward that pays the account's target hourly rate
at that pace, and the one write of that reward to the project (`project_reward_set`).

Work time is measured as MTurk measures it for the worker: submit minus accept, on the
assignments `selectors.TIMED` counts, never more than the HIT's assignment duration (the time a
worker was allotted: an assignment held open past it is not work the requester asked for).
Money is Decimal throughout; a reward or a top-up is rounded up to the cent, so rounding never
pays under the rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F, IntegerField, Value
from django.db.models.functions import Coalesce, Least

from apps.audit.services import audit_record
from apps.batches import selectors
from apps.batches.models import Batch, Project
from apps.hits.models import Assignment
from apps.requesters.models import Membership
from apps.requesters.roles import Action
from apps.requesters.services import membership_require

CENT = Decimal("0.01")
# A suggestion needs this many timed assignments: fewer, and one slow or fast worker moves the
# median too far to set a reward by.
MIN_TIMED = 5
RATE_MIN, RATE_MAX = Decimal("0.01"), Decimal("1000.00")
REWARD_MAX = Decimal("1000.00")

_WORK = ExpressionWrapper(F("submit_time") - F("accept_time"), DurationField())
_ALLOTTED = ExpressionWrapper(
    ExpressionWrapper(F("hit__hit_type__assignment_duration"), IntegerField())
    * Value(timedelta(seconds=1)),
    DurationField(),
)
# An assignment's measured work time, as a duration: submit - accept, at most the HIT's
# assignment duration (a HIT without its type in the mirror is not capped).
WORK_TIME = Least(_WORK, Coalesce(_ALLOTTED, _WORK), output_field=DurationField())


def seconds_of(value) -> float:
    """A summed duration as seconds: a timedelta on PostgreSQL and SQLite, microseconds where a
    backend hands back a number."""
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) / 1_000_000


def ceil_cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_CEILING)


def reward_at(rate: Decimal, seconds: float) -> Decimal:
    """The reward that pays `rate` an hour for `seconds` of work, rounded up to the cent (at
    least a cent: MTurk takes no reward of $0.00 for paid work)."""
    exact = Decimal(rate) * Decimal(str(seconds)) / Decimal(3600)
    return max(ceil_cent(exact), CENT)


def rate_clean(value, *, default: Decimal) -> Decimal:
    """An hourly rate typed into a page: dollars and cents from $0.01 to $1,000.00, or
    ValidationError; empty is `default`."""
    text = str(value if value is not None else "").strip().removeprefix("$")
    if not text:
        return default
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"{text[:20]!r} is not an hourly rate (try 12.00).") from None
    if not rate.is_finite() or rate != rate.quantize(CENT) or not RATE_MIN <= rate <= RATE_MAX:
        raise ValidationError(
            f"An hourly rate is from ${RATE_MIN} to ${RATE_MAX:,.2f}, in dollars and cents."
        )
    return rate.quantize(CENT)


@dataclass
class RewardSuggestion:
    """What a pilot batch's pace says the reward should be at the account's rate."""

    batch: Batch
    rate: Decimal
    current: Decimal  # the project's reward now
    timed: int
    median_seconds: int | None

    @property
    def enough(self) -> bool:
        return self.timed >= MIN_TIMED and bool(self.median_seconds)

    @property
    def missing(self) -> int:
        return max(MIN_TIMED - self.timed, 0)

    @property
    def reward(self) -> Decimal | None:
        if not self.median_seconds:
            return None
        return reward_at(self.rate, self.median_seconds)

    @property
    def differs(self) -> bool:
        return self.enough and self.reward != self.current

    min_timed: int = MIN_TIMED


def batch_reward_suggestion(batch: Batch, *, rate: Decimal) -> RewardSuggestion:
    """The suggestion from one batch's timed assignments (two queries: a count and the
    median, found by the database)."""
    assignments = Assignment.objects.filter(hit__batch_rows__batch=batch)
    timed = assignments.filter(selectors.TIMED).count()
    return RewardSuggestion(
        batch=batch,
        rate=rate,
        current=batch.project.reward,
        timed=timed,
        median_seconds=selectors.median_work_seconds(assignments, timed),
    )


def project_reward_suggestion(project: Project, *, rate: Decimal) -> RewardSuggestion | None:
    """The suggestion from the project's newest launched batch that has timed assignments
    (a few of the newest batches are looked at); None when none has any."""
    for batch in (
        Batch.objects.filter(project=project)
        .exclude(hit_type_mturk_id="")
        .select_related("project")
        .order_by("-created_at", "-pk")[:5]
    ):
        suggestion = batch_reward_suggestion(batch, rate=rate)
        if suggestion.timed:
            return suggestion
    return None


def project_reward_set(
    *,
    membership: Membership,
    actor,
    project: Project,
    expected: Decimal,
    reward,
    batch: Batch | None = None,
    rate: Decimal | None = None,
) -> Decimal:
    """Set the project's reward to `reward`, only if it still is `expected` (the reward the page
    showed): a page read before someone else changed it changes nothing. Future batches launch
    with it; launched ones keep theirs. Audited with the batch and rate it came from. Returns
    the new reward; raises ValidationError when the reward changed meanwhile or is not one."""
    membership_require(membership, Action.LAUNCH)
    if project.requester_id != membership.requester_id:
        raise ValidationError("This project belongs to another account.")
    try:
        reward = Decimal(str(reward).strip().removeprefix("$"))
    except InvalidOperation:
        raise ValidationError("A reward is an amount in dollars and cents.") from None
    if (
        not reward.is_finite()
        or reward != reward.quantize(CENT)
        or not CENT <= reward <= REWARD_MAX
    ):
        raise ValidationError(f"A reward is from $0.01 to ${REWARD_MAX:,.2f}, in cents.")
    with transaction.atomic():
        changed = Project.objects.filter(pk=project.pk, reward=expected).update(reward=reward)
        if not changed:
            now = Project.objects.filter(pk=project.pk).values_list("reward", flat=True).first()
            raise ValidationError(
                f"The reward is ${now:.2f} now, not the ${expected:.2f} this page showed:"
                " someone changed it meanwhile, so nothing was changed. Look again."
            )
        audit_record(
            actor=actor,
            requester=membership.requester,
            action="project.reward",
            target_type="project",
            target_id=project.pk,
            details={
                "before": f"{expected:.2f}",
                "after": f"{reward:.2f}",
                "rate": f"{rate:.2f}" if rate is not None else "",
                "batch": batch.pk if batch is not None else None,
            },
        )
    project.reward = reward
    return reward
