"""Why can't worker X take this HIT? Every rule between one worker and a batch's HITs, each with
its verdict and a sentence, read from the mirror.

- the batch's QualificationRequirements (launched: as launched; else the project's), compared
  as MTurk compares them (`requirement_met`), on the worker's scores in the mirror; groups
  (types managed as exclusion or inclusion groups) say so and since when; MTurk's own system
  types (Masters, locale, approval rate, HITs approved, adult) are MTurk's to know: "cannot tell";
- the batch's guards (`qualifications.BatchGuard`: a per-worker cap, or one part of a split
  row): counted from the worker's assignments on the batch's HITs; the guard service grants
  their types, this page only reads;
- a block of the worker on the account;
- the HITs: how many are still assignable, how many the worker did (each HIT at most once).

The queries are aggregates: their number does not grow with the batch's HITs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.batches.models import Batch, BatchRow
from apps.hits.models import HIT, Assignment, AssignmentStatus, HITStatus
from apps.mturk.constants import (
    MASTERS_IDS,
    QUAL_ADULT,
    QUAL_LOCALE,
    QUAL_NUMBER_HITS_APPROVED,
    QUAL_PERCENT_APPROVED,
)
from apps.qualifications.models import BatchGuard, GuardKind, QualificationScore, QualificationType
from apps.qualifications.requirements import requirement_label
from apps.workers.models import WorkerBlock

PASSES, FAILS, UNKNOWN = "passes", "fails", "cannot tell"

_SYSTEM = {
    QUAL_PERCENT_APPROVED: "approval rate",
    QUAL_NUMBER_HITS_APPROVED: "number of HITs approved",
    QUAL_LOCALE: "locale",
    QUAL_ADULT: "adult-content consent",
    **{masters: "Masters qualification" for masters in MASTERS_IDS},
}
# The assignments a worker has done on a HIT, as the mirror holds them (it holds no work still
# in progress: MTurk lists only submitted and decided assignments).
_DONE = [AssignmentStatus.SUBMITTED, AssignmentStatus.APPROVED, AssignmentStatus.REJECTED]


@dataclass
class Check:
    what: str  # the rule, in words
    verdict: str  # PASSES, FAILS or UNKNOWN
    sentence: str

    @property
    def css(self) -> str:
        return {PASSES: "passes", FAILS: "fails"}.get(self.verdict, "unknown")


@dataclass
class Eligibility:
    batch: Batch
    worker_id: str
    requirements: list[Check] = field(default_factory=list)
    guards: list[Check] = field(default_factory=list)
    block: Check | None = None
    hits_total: int = 0
    hits_assignable: int = 0
    hits_done: int = 0
    takeable: int = 0  # assignable HITs the worker has not done, their guards allowing
    cap_left: int | None = None  # assignments the tightest cap still allows

    @property
    def checks(self) -> list[Check]:
        return [*([self.block] if self.block else []), *self.guards, *self.requirements]

    @property
    def failing(self) -> list[Check]:
        return [c for c in self.checks if c.verdict == FAILS]

    @property
    def unknown(self) -> list[Check]:
        return [c for c in self.checks if c.verdict == UNKNOWN]

    @property
    def can(self) -> bool:
        return not self.failing and self.count > 0

    @property
    def count(self) -> int:
        """How many HITs the worker can still take, their cap counted."""
        if self.cap_left is None:
            return self.takeable
        return min(self.takeable, self.cap_left)

    @property
    def verdict(self) -> str:
        """The sentence at the top of the page."""
        worker = self.worker_id
        if self.failing:
            return f"Worker {worker} cannot take HITs of this batch: {self.failing[0].what}."
        if self.count == 0:
            if not self.hits_assignable:
                why = "no HIT of it is assignable any more"
            elif self.cap_left == 0:
                why = "they reached the batch's cap"
            else:
                why = "they already did every HIT still assignable"
            return f"Worker {worker} cannot take HITs of this batch: {why}."
        hits = f"{self.count} HIT{'s' if self.count != 1 else ''}"
        if self.unknown:
            asks = ", ".join(c.what for c in self.unknown)
            return (
                f"Worker {worker} can take {hits} of this batch if MTurk finds that they meet"
                f" what only MTurk knows: {asks}."
            )
        return f"Worker {worker} can take {hits} of this batch."


def batch_requirements(batch: Batch) -> list[dict]:
    """The requirements the batch's HITs carry: as launched, else the project's."""
    props = batch.launch_properties or {}
    if "qualification_requirements" in props:
        return list(props["qualification_requirements"] or [])
    return list(batch.project.qualification_requirements or [])


def requirement_met(requirement: dict, score: QualificationScore | None) -> bool:
    """MTurk's comparison of a requirement with a worker's score (None: the worker has none).

    Without the qualification a worker meets only DoesNotExist; Exists asks for any value;
    LocaleValues match the country, and the subdivision when the requirement names one;
    EqualTo/In match any listed value, NotEqualTo/NotIn none of them; the ordering comparators
    compare with the first IntegerValue.
    """
    comparator = requirement.get("Comparator")
    if comparator == "DoesNotExist":
        return score is None
    if score is None:
        return False
    if comparator == "Exists":
        return True
    locales = requirement.get("LocaleValues") or []
    if locales:
        country = (score.locale or {}).get("Country")
        subdivision = (score.locale or {}).get("Subdivision")
        matched = any(
            loc.get("Country") == country
            and (not loc.get("Subdivision") or loc.get("Subdivision") == subdivision)
            for loc in locales
        )
        return matched if comparator in ("EqualTo", "In") else not matched
    if score.value is None:
        return False
    integers = requirement.get("IntegerValues") or []
    value = score.value
    target = integers[0] if integers else None
    if comparator in ("In", "NotIn", "EqualTo", "NotEqualTo"):
        found = value in integers
        return found if comparator in ("In", "EqualTo") else not found
    if target is None:
        return False
    return {
        "LessThan": value < target,
        "LessThanOrEqualTo": value <= target,
        "GreaterThan": value > target,
        "GreaterThanOrEqualTo": value >= target,
    }.get(comparator, False)


def _score_words(score: QualificationScore | None) -> str:
    if score is None:
        return "has no score on it"
    if score.locale:
        place = "-".join(
            filter(None, [score.locale.get("Country"), score.locale.get("Subdivision")])
        )
        return f"has the locale {place}"
    return f"has a score of {score.value}" if score.value is not None else "has it, without a value"


def _since(score: QualificationScore | None) -> str:
    if score is None or score.granted_at is None:
        return ""
    return f" since {score.granted_at:%Y-%m-%d %H:%M} UTC"


def _requirement_check(
    requirement: dict,
    *,
    qtype: QualificationType | None,
    score: QualificationScore | None,
    label: str,
) -> Check:
    type_id = requirement.get("QualificationTypeId", "")
    if type_id in _SYSTEM:
        return Check(
            label,
            UNKNOWN,
            f"MTurk computes this worker's {_SYSTEM[type_id]} and does not tell requesters;"
            f" the requirement asks: {label}.",
        )
    if qtype is None:
        return Check(
            label,
            UNKNOWN,
            "The qualification type is not one of this account's, so its scores are not in"
            " the mirror.",
        )
    met = requirement_met(requirement, score)
    verdict = PASSES if met else FAILS
    comparator = requirement.get("Comparator")
    if qtype.group == "exclude" and comparator == "DoesNotExist":
        sentence = (
            f"In the exclusion group {qtype.name}{_since(score)}: the group keeps them out."
            if not met
            else f"Not in the exclusion group {qtype.name}."
        )
        return Check(f"the exclusion group {qtype.name}", verdict, sentence)
    if qtype.group == "include" and comparator == "Exists":
        sentence = (
            f"In the inclusion group {qtype.name}{_since(score)}."
            if met
            else f"Not in the inclusion group {qtype.name}: only its members may work on these"
            " HITs."
        )
        return Check(f"the inclusion group {qtype.name}", verdict, sentence)
    sentence = f"The worker {_score_words(score)}{_since(score)}; the requirement asks: {label}."
    return Check(label, verdict, sentence)


def _guard_checks(
    elig: Eligibility, batch: Batch, guards: list[BatchGuard], held: dict[int, QualificationScore]
) -> set[int]:
    """The guards' checks; returns the split rows (their index) whose other parts the worker
    may no longer take."""
    worker = elig.worker_id
    mine = Assignment.objects.filter(hit__batch_rows__batch=batch, worker_id=worker)
    submitted = mine.filter(status__in=_DONE).count() if guards else 0
    closed_rows: set[int] = set()
    sibling_guards = [g for g in guards if g.kind == GuardKind.SIBLINGS]
    worked_rows = set()
    if sibling_guards:
        worked_rows = set(
            BatchRow.objects.filter(
                batch=batch,
                index__in=[g.row_index for g in sibling_guards],
                hit__assignments__worker_id=worker,
            ).values_list("index", flat=True)
        )
    for guard in guards:
        score = held.get(guard.qualification_type_id)
        if guard.kind == GuardKind.CAP:
            limit = guard.limit
            counted = "assignments submitted" if guard.counts == "submitted" else "assignments"
            if score is not None or submitted >= limit:
                elig.cap_left = 0
                elig.guards.append(
                    Check(
                        f"the cap of {limit} assignments per worker",
                        FAILS,
                        f"Has done {submitted} of at most {limit} {counted} of this batch:"
                        " capped"
                        + (f" (the cap's qualification granted{_since(score)})." if score else "."),
                    )
                )
            else:
                left = limit - submitted
                elig.cap_left = left if elig.cap_left is None else min(elig.cap_left, left)
                elig.guards.append(
                    Check(
                        f"the cap of {limit} assignments per worker",
                        PASSES,
                        f"{submitted} of {limit} {counted}: may take {left} more.",
                    )
                )
        else:
            row = guard.row_index
            if score is not None or row in worked_rows:
                closed_rows.add(row)
                elig.guards.append(
                    Check(
                        f"one part of row {row + 2}",
                        PASSES,
                        f"Has taken a part of row {row + 2} (its spreadsheet row): its other"
                        " parts are closed to them; the other rows are not.",
                    )
                )
    return closed_rows


def eligibility(batch: Batch, worker_id: str) -> Eligibility:
    """Every rule between the worker (an id already checked with `ids.worker_id_clean`) and the
    batch's HITs, and the verdict."""
    requester = batch.requester
    elig = Eligibility(batch=batch, worker_id=worker_id)

    block = WorkerBlock.objects.filter(requester=requester, worker_id=worker_id).first()
    if block is not None:
        when = f" on {block.blocked_at:%Y-%m-%d}" if block.blocked_at else ""
        elig.block = Check(
            "a block on this account",
            FAILS,
            f"Blocked by this account{when}: MTurk shows them no HIT of this requester."
            + (f" Reason: {block.reason}" if block.reason else ""),
        )

    guards = list(BatchGuard.objects.filter(batch=batch).order_by("kind", "row_index", "pk"))
    guard_types = {g.qualification_type_id for g in guards}
    requirements = batch_requirements(batch)
    type_ids = {r.get("QualificationTypeId", "") for r in requirements}
    types = {t.mturk_id: t for t in QualificationType.objects.filter(requester=requester)}
    names = {mturk_id: t.name for mturk_id, t in types.items()}
    wanted = {t.pk for mturk_id, t in types.items() if mturk_id in type_ids} | guard_types
    scores = {
        s.qualification_type_id: s
        for s in QualificationScore.objects.filter(
            requester=requester,
            worker_id=worker_id,
            qualification_type_id__in=wanted,
            status="Granted",
        )
    }
    for requirement in requirements:
        qtype = types.get(requirement.get("QualificationTypeId", ""))
        if qtype is not None and qtype.pk in guard_types:
            continue  # a guard's own requirement: said by the guard, counted below
        elig.requirements.append(
            _requirement_check(
                requirement,
                qtype=qtype,
                score=scores.get(qtype.pk) if qtype else None,
                label=requirement_label(requirement, names=names),
            )
        )
    closed_rows = _guard_checks(elig, batch, guards, scores)

    now = timezone.now()
    hits = HIT.objects.filter(batch_rows__batch=batch)
    done_here = Assignment.objects.filter(hit=OuterRef("pk"), worker_id=worker_id, status__in=_DONE)
    assignable = hits.filter(
        status=HITStatus.ASSIGNABLE, gone_at__isnull=True, available__gt=0
    ).filter(Q(expiration__isnull=True) | Q(expiration__gt=now))
    takeable = assignable.exclude(Exists(done_here))
    if closed_rows:
        takeable = takeable.exclude(batch_rows__index__in=closed_rows)
    elig.hits_total = hits.count()
    elig.hits_assignable = assignable.count()
    elig.hits_done = hits.filter(Exists(done_here)).count()
    elig.takeable = takeable.count()
    return elig
