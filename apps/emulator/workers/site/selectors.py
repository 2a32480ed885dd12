"""What the worker site shows: HIT groups a worker may discover, a worker's page, requestable
qualification types. Reads only; the actions are in `apps.emulator.workers.actions`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, Sum

from ...delivery.documents import customer_id_for
from ...engine.accounts import worker_get_or_create
from ...engine.qualifications import unmet_requirements
from ...models import (
    HIT,
    Assignment,
    BonusPayment,
    Qualification,
    QualificationRequest,
    QualificationType,
    Worker,
    WorkerBlock,
)

DONE = [
    Assignment.Status.ACCEPTED,
    Assignment.Status.SUBMITTED,
    Assignment.Status.APPROVED,
    Assignment.Status.REJECTED,
]


@dataclass
class HITGroup:
    hit_type_id: str
    title: str
    description: str
    requester: str
    reward: Decimal
    seconds_allotted: int
    keywords: str = ""
    created: datetime | None = None
    newest_pk: int = 0  # orders groups created in the same instant
    hits_available: int = 0
    requirements: list[str] = field(default_factory=list)
    next_hit_id: str = ""
    blocked: bool = False


def qualification_names(ids: set[str]) -> dict[str, str]:
    return dict(
        QualificationType.objects.filter(qualification_type_id__in=ids).values_list(
            "qualification_type_id", "name"
        )
    )


def _describe(requirement: dict, names: dict[str, str]) -> str:
    name = names.get(requirement["QualificationTypeId"], requirement["QualificationTypeId"])
    values = requirement.get("IntegerValues") or [
        f"{v.get('Country', '')}{'-' + v['Subdivision'] if v.get('Subdivision') else ''}"
        for v in requirement.get("LocaleValues") or []
    ]
    return f"{name} {requirement['Comparator']} {', '.join(str(v) for v in values)}".strip()


def hit_groups_for(worker_id: str, now: datetime) -> list[HITGroup]:
    """Assignable HITs grouped by HIT type, without the groups this worker may not discover and
    the ones they have already worked every HIT of, newest first."""
    worker = worker_get_or_create(worker_id)
    done = set(
        Assignment.objects.filter(worker_id=worker_id, status__in=DONE).values_list(
            "hit_id", flat=True
        )
    )
    blocked = set(
        WorkerBlock.objects.filter(worker_id=worker_id).values_list("customer_id", flat=True)
    )
    hits = (
        HIT.objects.select_related("hit_type", "customer")
        .filter(status=HIT.Status.ASSIGNABLE, deleted=False, expiration__gt=now)
        .order_by("pk")
    )
    groups: dict[int, HITGroup] = {}
    hidden: set[int] = set()
    for hit in hits:
        hit_type = hit.hit_type
        if hit_type.pk in hidden:
            continue
        group = groups.get(hit_type.pk)
        if group is None:
            if unmet_requirements(worker, hit_type.qualification_requirements, "discover"):
                hidden.add(hit_type.pk)
                continue
            group = groups[hit_type.pk] = HITGroup(
                hit_type_id=hit_type.hit_type_id,
                title=hit_type.title,
                description=hit_type.description,
                requester=customer_id_for(hit.customer.access_key_id),
                reward=hit_type.reward,
                seconds_allotted=hit_type.assignment_duration,
                keywords=hit_type.keywords,
                blocked=hit.customer_id in blocked,
            )
        group.hits_available += hit.number_available
        if group.created is None or hit.created_at >= group.created:
            group.created, group.newest_pk = hit.created_at, hit.pk
        if not group.next_hit_id and hit.pk not in done:
            group.next_hit_id = hit.hit_id
    ids = {
        r["QualificationTypeId"]
        for hit_type in {hit.hit_type for hit in hits}
        for r in hit_type.qualification_requirements
    }
    names = qualification_names(ids)
    by_type = {hit.hit_type.hit_type_id: hit.hit_type for hit in hits}
    for group in groups.values():
        group.requirements = [
            _describe(r, names) for r in by_type[group.hit_type_id].qualification_requirements
        ]
    found = [group for group in groups.values() if group.next_hit_id]
    found.sort(key=lambda group: (group.created, group.newest_pk), reverse=True)
    return found


# How the HIT list can be sorted: (label, key, highest first).
SORTS = {
    "newest": ("Newest first", lambda g: (g.created, g.newest_pk), True),
    "reward": ("Reward: highest first", lambda g: g.reward, True),
    "reward-low": ("Reward: lowest first", lambda g: g.reward, False),
    "hits": ("Most HITs available", lambda g: g.hits_available, True),
    "time": ("Shortest time allotted", lambda g: g.seconds_allotted, False),
    "title": ("Title A-Z", lambda g: g.title.casefold(), False),
}
GROUPS_PER_PAGE = 20


@dataclass
class GroupSearch:
    """What the worker asked the HIT list for: words, a lowest reward, an order, a page."""

    words: str = ""
    min_reward: Decimal | None = None
    sort: str = "newest"
    page: int = 1

    def matches(self, group: HITGroup) -> bool:
        if self.min_reward is not None and group.reward < self.min_reward:
            return False
        haystack = " ".join(
            [group.title, group.description, group.keywords, group.requester]
        ).casefold()
        return all(word in haystack for word in self.words.casefold().split())


def search_hit_groups(worker_id: str, now: datetime, search: GroupSearch) -> Page:
    """One page of the groups the worker may take that match `search`, in its order (ties keep
    the newest first)."""
    groups = [g for g in hit_groups_for(worker_id, now) if search.matches(g)]
    _, key, highest_first = SORTS.get(search.sort, SORTS["newest"])
    groups.sort(key=key, reverse=highest_first)
    return Paginator(groups, GROUPS_PER_PAGE).get_page(search.page)


@dataclass
class Earnings:
    """A worker's money: rewards approved and waiting, and bonuses, in dollars."""

    approved: Decimal = Decimal("0.00")
    pending: Decimal = Decimal("0.00")
    bonuses: Decimal = Decimal("0.00")

    @property
    def paid(self) -> Decimal:
        return self.approved + self.bonuses


@dataclass
class WorkerPage:
    worker: Worker
    qualifications: list[dict]
    blocks: list[dict]
    history: Page
    pending_requests: list[QualificationRequest]
    counts: dict[str, int]
    earnings: Earnings
    bonuses: list[BonusPayment]

    @property
    def approval_rate(self) -> int | None:
        """Approved of all decided work, in percent (None before any decision)."""
        decided = self.counts["Approved"] + self.counts["Rejected"]
        return round(100 * self.counts["Approved"] / decided) if decided else None


HISTORY_PER_PAGE = 25


def _earnings(worker_id: str) -> Earnings:
    rewards = dict(
        Assignment.objects.filter(
            worker_id=worker_id,
            status__in=[Assignment.Status.APPROVED, Assignment.Status.SUBMITTED],
        )
        .values("status")
        .annotate(total=Sum("hit__hit_type__reward"))
        .values_list("status", "total")
    )
    bonuses = BonusPayment.objects.filter(worker_id=worker_id).aggregate(total=Sum("amount"))

    def dollars(total) -> Decimal:
        # Sums come back without their scale on some databases.
        return Decimal(total or 0).quantize(Decimal("0.01"))

    return Earnings(
        approved=dollars(rewards.get(Assignment.Status.APPROVED)),
        pending=dollars(rewards.get(Assignment.Status.SUBMITTED)),
        bonuses=dollars(bonuses["total"]),
    )


def worker_page(worker_id: str, history_page: int | str = 1) -> WorkerPage:
    worker = worker_get_or_create(worker_id)
    qualifications = [
        {
            "name": q.qualification_type.name,
            "id": q.qualification_type.qualification_type_id,
            "value": q.integer_value,
            "status": q.status,
            "granted": q.grant_time,
        }
        for q in Qualification.objects.filter(worker_id=worker_id)
        .select_related("qualification_type")
        .order_by("grant_time")
    ]
    blocks = [
        {"requester": customer_id_for(b.customer.access_key_id), "reason": b.reason}
        for b in WorkerBlock.objects.filter(worker_id=worker_id).select_related("customer")
    ]
    history = Paginator(
        Assignment.objects.filter(worker_id=worker_id)
        .select_related("hit__hit_type")
        .order_by("-accept_time", "-pk"),
        HISTORY_PER_PAGE,
    ).get_page(history_page)
    pending = list(
        QualificationRequest.objects.filter(
            worker_id=worker_id, status=QualificationRequest.Status.PENDING
        ).select_related("qualification_type")
    )
    counts = dict.fromkeys(Assignment.Status.values, 0)
    counts.update(
        Assignment.objects.filter(worker_id=worker_id)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    bonuses = list(
        BonusPayment.objects.filter(worker_id=worker_id)
        .select_related("assignment__hit__hit_type")
        .order_by("-grant_time", "-pk")[:50]
    )
    return WorkerPage(
        worker, qualifications, blocks, history, pending, counts, _earnings(worker_id), bonuses
    )


@dataclass
class RequestableType:
    qtype: QualificationType
    value: int | None
    pending: bool
    blocker: str = ""


def request_blocker(qtype: QualificationType, worker_id: str, now: datetime) -> str:
    """Why the worker cannot request `qtype` now ("" when they can)."""
    previous = (
        QualificationRequest.objects.filter(qualification_type=qtype, worker_id=worker_id)
        .order_by("-submit_time")
        .first()
    )
    if previous is None:
        return ""
    if previous.status == QualificationRequest.Status.PENDING:
        return "Your request is waiting for the requester."
    if qtype.retry_delay is None:
        return "This qualification cannot be requested again."
    retry_at = previous.submit_time + timedelta(seconds=qtype.retry_delay)
    if retry_at > now:
        return f"You can ask again after {retry_at:%Y-%m-%d %H:%M:%S} UTC."
    return ""


def requestable_types(worker_id: str, now: datetime) -> list[RequestableType]:
    values = dict(
        Qualification.objects.filter(worker_id=worker_id).values_list(
            "qualification_type_id", "integer_value"
        )
    )
    found = []
    for qtype in QualificationType.objects.filter(
        ~Q(customer=None), deleted=False, status="Active", is_requestable=True
    ).order_by("name"):
        blocker = request_blocker(qtype, worker_id, now)
        found.append(
            RequestableType(
                qtype=qtype,
                value=values.get(qtype.pk),
                pending="waiting" in blocker,
                blocker=blocker,
            )
        )
    return found
