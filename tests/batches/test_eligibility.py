"""Why can't worker X take this HIT? Each requirement kind against real scores in the mirror,
groups, a per-worker cap, a block, the HITs left, and a hostile worker id."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.batches import services
from apps.batches.eligibility.selectors import eligibility, requirement_met
from apps.batches.models import Batch
from apps.hits.models import HIT, Assignment, HITType
from apps.qualifications.models import BatchGuard, QualificationScore, QualificationType
from apps.workers.models import WorkerBlock
from tests.batches.conftest import make_project

pytestmark = pytest.mark.django_db

WORKER = "AELIGIBLE00001"
APPROVAL = "000000000000000000L0"
MASTERS = "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6"


def _type(account, name, group=""):
    return QualificationType.objects.create(
        requester=account, mturk_id=f"Q{name.upper():0>29}"[:30], name=name, group=group
    )


def _score(account, qtype, worker=WORKER, value=None, locale=None, days_ago=3):
    return QualificationScore.objects.create(
        requester=account,
        qualification_type=qtype,
        worker_id=worker,
        value=value,
        locale=locale or {},
        granted_at=timezone.now() - timedelta(days=days_ago),
    )


def _batch(account, carol, requirements, *, hits=5):
    project = make_project(
        account,
        carol,
        name=f"Study {Batch.objects.count()}",
        qualification_requirements=requirements,
    )
    batch = Batch.objects.create(
        project=project, requester=account, name="Study 2", hit_type_mturk_id="T" * 30
    )
    # Launched: the requirements as launched, which the batch's HITs carry.
    batch.status = "launched"
    batch.launch_properties = services.batch_properties(batch)
    batch.save(update_fields=["status", "launch_properties"])
    hit_type = HITType.objects.create(
        requester=account,
        mturk_id=f"TY{batch.pk:028d}",
        title="t",
        reward=Decimal("0.50"),
        assignment_duration=600,
        auto_approval_delay=60,
    )
    for number in range(hits):
        hit = HIT.objects.create(
            requester=account,
            mturk_id=f"H{batch.pk:04d}{number:025d}",
            hit_type=hit_type,
            hit_type_mturk_id=hit_type.mturk_id,
            title="t",
            status="Assignable",
            reward=Decimal("0.50"),
            max_assignments=3,
            available=2,
            expiration=timezone.now() + timedelta(days=1),
            batch_key=batch.launch_key,
        )
        batch.rows.create(index=number, values={}, hit=hit, hit_mturk_id=hit.mturk_id)
    return batch


def _did(batch, worker, count):
    hits = HIT.objects.filter(batch_rows__batch=batch).order_by("pk")[:count]
    for hit in hits:
        Assignment.objects.create(
            requester=batch.requester,
            mturk_id=f"A{hit.pk:08d}{worker}",
            hit=hit,
            worker_id=worker,
            status="Approved",
            accept_time=timezone.now() - timedelta(minutes=5),
            submit_time=timezone.now() - timedelta(minutes=3),
            batch_key=batch.launch_key,
        )


def test_comparators_are_applied_as_mturk_applies_them(account):
    qtype = _type(account, "score")
    scored = QualificationScore(qualification_type=qtype, worker_id=WORKER, value=80)
    placed = QualificationScore(
        qualification_type=qtype, worker_id=WORKER, locale={"Country": "US", "Subdivision": "PA"}
    )
    cases = [
        ({"Comparator": "GreaterThanOrEqualTo", "IntegerValues": [80]}, scored, True),
        ({"Comparator": "GreaterThan", "IntegerValues": [80]}, scored, False),
        ({"Comparator": "LessThan", "IntegerValues": [81]}, scored, True),
        ({"Comparator": "LessThanOrEqualTo", "IntegerValues": [79]}, scored, False),
        ({"Comparator": "EqualTo", "IntegerValues": [80]}, scored, True),
        ({"Comparator": "NotEqualTo", "IntegerValues": [80]}, scored, False),
        ({"Comparator": "In", "IntegerValues": [1, 80]}, scored, True),
        ({"Comparator": "NotIn", "IntegerValues": [1, 80]}, scored, False),
        ({"Comparator": "Exists"}, scored, True),
        ({"Comparator": "Exists"}, None, False),
        ({"Comparator": "DoesNotExist"}, None, True),
        ({"Comparator": "DoesNotExist"}, scored, False),
        # Without the qualification only DoesNotExist is met, NotIn and NotEqualTo included.
        ({"Comparator": "NotIn", "IntegerValues": [1]}, None, False),
        ({"Comparator": "EqualTo", "LocaleValues": [{"Country": "US"}]}, placed, True),
        (
            {"Comparator": "EqualTo", "LocaleValues": [{"Country": "US", "Subdivision": "NY"}]},
            placed,
            False,
        ),
        ({"Comparator": "NotIn", "LocaleValues": [{"Country": "IN"}]}, placed, True),
    ]
    for requirement, score, expected in cases:
        assert requirement_met(requirement, score) is expected, (requirement, score)


def test_each_requirement_kind_with_real_scores_and_a_group(login, carol, victor, account):
    skill = _type(account, "Skill")
    tier = _type(account, "Tier")
    did_study_1 = _type(account, "Did study 1", group="exclude")
    panel = _type(account, "Panel", group="include")
    _score(account, skill, value=90)
    _score(account, tier, value=3)
    _score(account, did_study_1, value=1, days_ago=10)
    requirements = [
        {
            "QualificationTypeId": skill.mturk_id,
            "Comparator": "GreaterThanOrEqualTo",
            "IntegerValues": [80],
        },
        {"QualificationTypeId": tier.mturk_id, "Comparator": "In", "IntegerValues": [1, 2]},
        {"QualificationTypeId": did_study_1.mturk_id, "Comparator": "DoesNotExist"},
        {"QualificationTypeId": panel.mturk_id, "Comparator": "Exists"},
        {
            "QualificationTypeId": APPROVAL,
            "Comparator": "GreaterThanOrEqualTo",
            "IntegerValues": [95],
        },
        {"QualificationTypeId": MASTERS, "Comparator": "Exists"},
    ]
    batch = _batch(account, carol, requirements)
    result = eligibility(batch, WORKER)
    verdicts = [(c.what, c.verdict) for c in result.requirements]
    assert verdicts == [
        ("Skill >= 80", "passes"),
        ("Tier is one of 1, 2", "fails"),
        ("the exclusion group Did study 1", "fails"),
        ("the inclusion group Panel", "fails"),
        ("Approval rate >= 95%", "cannot tell"),
        ("Masters", "cannot tell"),
    ]
    sentences = [c.sentence for c in result.requirements]
    assert sentences[0] == "The worker has a score of 90 since " + (
        f"{_score_time(skill)}; the requirement asks: Skill >= 80."
    )
    assert sentences[2].startswith("In the exclusion group Did study 1 since ")
    assert "MTurk computes this worker's approval rate" in sentences[4]
    assert result.verdict == (
        f"Worker {WORKER} cannot take HITs of this batch: Tier is one of 1, 2."
    )

    page = login(victor).get(f"/batches/{batch.pk}/eligibility/?worker={WORKER.lower()}")
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Worker {WORKER} cannot take HITs of this batch" in text
    assert "In the exclusion group Did study 1 since" in text
    assert text.count('data-check="unknown"') == 2


def _score_time(qtype):
    granted = QualificationScore.objects.get(qualification_type=qtype).granted_at
    return f"{granted:%Y-%m-%d %H:%M} UTC"


def test_a_cap_counts_the_workers_assignments_of_the_batch(login, carol, account):
    capped_type = _type(account, "Capped")
    batch = _batch(
        account,
        carol,
        [{"QualificationTypeId": capped_type.mturk_id, "Comparator": "DoesNotExist"}],
    )
    BatchGuard.objects.create(
        requester=account, batch=batch, kind="cap", qualification_type=capped_type, limit=3
    )
    _did(batch, WORKER, 3)
    _did(batch, "AELIGIBLE00002", 2)

    full = eligibility(batch, WORKER)
    assert [(c.what, c.verdict) for c in full.checks] == [
        ("the cap of 3 assignments per worker", "fails")
    ]
    assert full.guards[0].sentence == (
        "Has done 3 of at most 3 assignments submitted of this batch: capped."
    )
    assert full.verdict.startswith(f"Worker {WORKER} cannot take HITs of this batch")

    room = eligibility(batch, "AELIGIBLE00002")
    assert room.guards[0].sentence == "2 of 3 assignments submitted: may take 1 more."
    assert (room.takeable, room.count) == (3, 1)
    assert room.verdict == "Worker AELIGIBLE00002 can take 1 HIT of this batch."

    # Granted the cap's qualification (by the guard service), a worker is capped whatever
    # the mirror counts.
    _score(account, capped_type, worker="AELIGIBLE00002", value=1)
    assert eligibility(batch, "AELIGIBLE00002").guards[0].verdict == "fails"

    page = login(carol).get(f"/batches/{batch.pk}/eligibility/?worker=AELIGIBLE00002")
    assert "capped" in page.content.decode()


def test_a_block_and_the_hits_left(login, carol, account):
    batch = _batch(account, carol, [], hits=5)
    HIT.objects.filter(pk=HIT.objects.order_by("pk").last().pk).update(
        expiration=timezone.now() - timedelta(hours=1)
    )
    _did(batch, WORKER, 2)
    result = eligibility(batch, WORKER)
    assert (result.hits_total, result.hits_assignable, result.hits_done) == (5, 4, 2)
    assert result.verdict == f"Worker {WORKER} can take 2 HITs of this batch."
    page = login(carol).get(f"/batches/{batch.pk}/eligibility/?worker={WORKER}").content.decode()
    assert "4 of the batch's 5 HITs are still assignable" in page
    assert "the worker did 2 of them" in page

    WorkerBlock.objects.create(
        requester=account, worker_id=WORKER, reason="Copied answers", blocked_at=timezone.now()
    )
    result = eligibility(batch, WORKER)
    assert result.verdict == (
        f"Worker {WORKER} cannot take HITs of this batch: a block on this account."
    )
    assert "MTurk shows them no HIT of this requester. Reason: Copied answers" in (
        result.block.sentence
    )


def test_a_hostile_worker_id_is_refused_and_escaped(login, carol, account):
    batch = _batch(account, carol, [])
    client = login(carol)
    hostile = '"><script>alert(1)</script>'
    response = client.get(f"/batches/{batch.pk}/eligibility/", {"worker": hostile})
    text = response.content.decode()
    assert response.status_code == 400
    assert "<script>alert(1)" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "A worker id is an A followed by capital letters and digits." in text
    assert "data-verdict" not in text
    # Without a worker the page is the form.
    assert 'name="worker"' in client.get(f"/batches/{batch.pk}/eligibility/").content.decode()


def test_any_member_reads_it_an_outsider_gets_404_and_it_is_linked(
    login, carol, bob, victor, charlie, account
):
    batch = _batch(account, carol, [])
    url = f"/batches/{batch.pk}/eligibility/?worker={WORKER}"
    for user in (carol, bob, victor):
        assert login(user).get(url).status_code == 200
    assert login(charlie).get(url).status_code == 404
    assert (
        f"/batches/{batch.pk}/eligibility/"
        in login(victor).get(f"/batches/{batch.pk}/").content.decode()
    )
    _did(batch, WORKER, 1)
    from apps.workers.models import Worker

    Worker.objects.create(requester=account, worker_id=WORKER, submitted=1)
    worker_page = login(victor).get(f"/workers/{WORKER}/").content.decode()
    assert f"/batches/{batch.pk}/eligibility/?worker={WORKER}" in worker_page


def test_the_query_count_does_not_grow_with_the_hits(login, carol, account):
    group = _type(account, "Past", group="exclude")
    requirements = [{"QualificationTypeId": group.mturk_id, "Comparator": "DoesNotExist"}]
    small = _batch(account, carol, requirements, hits=2)
    large = _batch(account, carol, requirements, hits=20)
    for batch in (small, large):
        BatchGuard.objects.create(
            requester=account,
            batch=batch,
            kind="cap",
            qualification_type=_type(account, f"Cap {batch.pk}"),
            limit=5,
        )
    _did(large, WORKER, 7)
    client = login(carol)
    client.get(f"/batches/{small.pk}/eligibility/?worker={WORKER}")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/batches/{small.pk}/eligibility/?worker={WORKER}")
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"/batches/{large.pk}/eligibility/?worker={WORKER}").content.decode()
    assert len(many) == len(few)
    assert "Has done 7 of at most 5 assignments submitted of this batch: capped" in page
