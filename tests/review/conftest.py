"""A launched batch with gold answers, worked by a careful and a careless worker at the local
MTurk, for the gold, rules, bonus-by-rule and score tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db.models import Sum

from apps.audit.models import AuditEvent
from apps.batches import services as batch_services
from apps.batches.models import Batch
from apps.hits.models import Assignment
from apps.requesters.models import Membership
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project
from tests.helpers import create_hit, new_worker_id, work

GOLD_CSV = (
    "image_url,caption,gold_label,gold_tags\n"
    "https://example.org/0.png,zero,Cat,red|blue\n"
    "https://example.org/1.png,one,dog,\n"
    "https://example.org/2.png,two,,\n"
    "https://example.org/3.png,three,bird,\n"
)


def answer_xml(answers: dict) -> str:
    """QuestionFormAnswers with one Answer per value: a list repeats its identifier."""
    parts = []
    for name, value in answers.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(
                f"<Answer><QuestionIdentifier>{name}</QuestionIdentifier>"
                f"<FreeText>{item}</FreeText></Answer>"
            )
    return (
        '<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/'
        'AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd">'
        + "".join(parts)
        + "</QuestionFormAnswers>"
    )


# Row index -> answers. The careful worker is right on every gold answer (with other case,
# spaces and order); the careless one is right once in four.
CAREFUL = {
    0: {"label": " cat ", "tags": ["Blue", "red"]},
    1: {"label": "DOG"},
    2: {"label": "anything"},
    3: {"label": "bird"},
}
CARELESS = {
    0: {"label": "dog", "tags": ["red"]},
    1: {"label": "dog"},
    2: {"label": "anything"},
    3: {"other": "no label at all"},
}


@pytest.fixture
def eager():
    """Celery tasks run inline, as soon as their transaction commits."""
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@dataclass
class GoldBatch:
    batch: Batch
    careful: str
    careless: str
    assignments: dict  # (worker, row index) -> assignment id


@pytest.fixture
def gold_batch(local_account, carol, emulator, eager, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    project = make_project(
        local_account,
        carol,
        max_assignments=2,
        auto_approval_delay=7 * 86400,
        lifetime=30 * 86400,
        gold_fields={"label": "gold_label", "tags": "gold_tags"},
    )
    batch = make_batch(project, carol, GOLD_CSV)
    membership = Membership.objects.get(user=carol, requester=local_account)
    batch_services.batch_launch(membership=membership, actor=carol, batch=batch)
    batch.refresh_from_db()
    careful, careless = new_worker_id(), new_worker_id()
    done = {}
    for row in batch.rows.order_by("index"):
        for worker, plan in ((careful, CAREFUL), (careless, CARELESS)):
            assignment_id = emulator.accept(worker, row.hit_mturk_id)
            emulator.submit(assignment_id, answer_xml=answer_xml(plan[row.index]))
            done[(worker, row.index)] = assignment_id
    requester_sync(requester=local_account)
    return GoldBatch(batch=batch, careful=careful, careless=careless, assignments=done)


@pytest.fixture
def submitted(local_account, account_mturk, emulator):
    """One submitted assignment of a $0.50 HIT made outside the dashboard, in the mirror."""
    hit = create_hit(account_mturk, Reward="0.50", MaxAssignments=2)
    assignment_id, _ = work(emulator, hit["HITId"])
    requester_sync(requester=local_account)
    return Assignment.objects.select_related("hit__hit_type").get(mturk_id=assignment_id)


def membership_of(user) -> Membership:
    return Membership.objects.select_related("requester").get(user=user)


def mturk_balance(account_mturk) -> Decimal:
    return Decimal(account_mturk.get_account_balance()["AvailableBalance"])


def ledger(account) -> Decimal:
    """The account's audit amounts and fees, summed."""
    totals = AuditEvent.objects.filter(requester=account).aggregate(a=Sum("amount"), f=Sum("fee"))
    return (totals["a"] or Decimal(0)) + (totals["f"] or Decimal(0))
