"""An audit entry's target links to its page (batch, HIT of an assignment, worker, qualification
type, bonus batch, review job, account), and only when the object is the entry's account's."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.audit.services import audit_record
from apps.batches.models import Batch, Project
from apps.hits.models import HIT, Assignment, HITType
from apps.qualifications.models import QualificationType
from apps.review.models import BonusBatch, BulkReview
from apps.workers.models import Worker

pytestmark = pytest.mark.django_db

WORKER = "A1LINKWORKER01"


def _objects(account, tag: str) -> dict:
    hit_type = HITType.objects.create(
        requester=account,
        mturk_id=f"T{tag}" * 10,
        title="t",
        reward=Decimal("0.10"),
        assignment_duration=60,
        auto_approval_delay=60,
    )
    hit = HIT.objects.create(
        requester=account,
        mturk_id=f"H{tag}" * 10,
        hit_type=hit_type,
        hit_type_mturk_id=hit_type.mturk_id,
        title="t",
        status="Assignable",
        reward=Decimal("0.10"),
    )
    assignment = Assignment.objects.create(
        requester=account,
        mturk_id=f"A{tag}" * 10,
        hit=hit,
        worker_id=WORKER,
        status="Submitted",
        submit_time=timezone.now(),
    )
    project = Project.objects.create(
        requester=account, name="p", template="x", title="t", description="d", reward=1
    )
    return {
        "hit": hit,
        "assignment": assignment,
        "batch": Batch.objects.create(project=project, requester=account, name="b"),
        "qtype": QualificationType.objects.create(
            requester=account, mturk_id=f"Q{tag}" * 10, name="q"
        ),
        "bonus_batch": BonusBatch.objects.create(requester=account),
        "job": BulkReview.objects.create(requester=account, items=[], total=0),
        "worker": Worker.objects.create(requester=account, worker_id=WORKER, submitted=1),
    }


def _targets(objects: dict) -> list[tuple[str, str, str]]:
    """(target type, target id, the page it should open)."""
    return [
        ("batch", str(objects["batch"].pk), f"/batches/{objects['batch'].pk}/"),
        ("assignment", objects["assignment"].mturk_id, f"/hits/{objects['hit'].pk}/"),
        ("hit", objects["hit"].mturk_id, f"/hits/{objects['hit'].pk}/"),
        (
            "qualification_type",
            objects["qtype"].mturk_id,
            f"/qualifications/{objects['qtype'].pk}/",
        ),
        (
            "bonus_batch",
            str(objects["bonus_batch"].pk),
            f"/review/bonuses/{objects['bonus_batch'].pk}/",
        ),
        ("bulk_review", str(objects["job"].pk), f"/review/jobs/{objects['job'].pk}/"),
        ("worker", WORKER, f"/workers/{WORKER}/"),
    ]


def _links(page: str) -> set[str]:
    return set(re.findall(r'<td class="target">[^<]*<a href="([^"]+)"', page))


def test_each_target_links_to_its_page(login, victor, account):
    objects = _objects(account, "M")
    for target_type, target_id, _ in _targets(objects):
        audit_record(
            actor=victor,
            requester=account,
            action=f"{target_type}.touch",
            target_type=target_type,
            target_id=target_id,
        )
    audit_record(
        actor=victor,
        requester=account,
        action="requester.update",
        target_type="requester",
        target_id=account.pk,
    )
    client = login(victor)
    page = client.get("/audit/").content.decode()
    expected = {url for _, _, url in _targets(objects)} | {f"/accounts/{account.pk}/"}
    assert _links(page) == expected
    for url in expected:
        assert client.get(url).status_code == 200, url


def test_a_target_of_another_account_never_links(login, alice, charlie, account, other_account):
    """An entry of alice's account whose target id names charlie's objects (same ids, or the
    MTurk ids of the other account) shows the id as text, not a link to charlie's page."""
    theirs = _objects(other_account, "X")
    _objects(account, "M")
    for target_type, target_id, _ in _targets(theirs):
        audit_record(
            actor=alice,
            requester=account,
            action=f"{target_type}.touch",
            target_type=target_type,
            target_id=target_id,
        )
    audit_record(
        actor=alice,
        requester=account,
        action="requester.update",
        target_type="requester",
        target_id=other_account.pk,
    )
    page = login(alice).get("/audit/").content.decode()
    # Worker ids are the same person at MTurk: alice's account has seen this worker too.
    assert _links(page) == {f"/workers/{WORKER}/"}
    for _, target_id, _url in _targets(theirs):
        assert target_id in page

    # The other account's own entries, seen by its admin, link to its objects.
    audit_record(
        actor=charlie,
        requester=other_account,
        action="batch.touch",
        target_type="batch",
        target_id=theirs["batch"].pk,
    )
    page = login(charlie).get("/audit/").content.decode()
    assert _links(page) == {f"/batches/{theirs['batch'].pk}/"}


def test_a_worker_links_only_for_the_account_chosen_in_the_switcher(
    login, alice, account, other_account
):
    from apps.requesters.models import Membership

    Membership.objects.create(user=alice, requester=other_account, role="admin")
    Worker.objects.create(requester=other_account, worker_id="A2OTHERWORKER", submitted=1)
    audit_record(
        actor=alice,
        requester=other_account,
        action="worker.block",
        target_type="worker",
        target_id="A2OTHERWORKER",
    )
    client = login(alice)
    client.post("/accounts/switch/", {"requester": account.pk})
    assert _links(client.get("/audit/").content.decode()) == set()
    client.post("/accounts/switch/", {"requester": other_account.pk})
    assert _links(client.get("/audit/").content.decode()) == {"/workers/A2OTHERWORKER/"}


def test_a_hostile_target_id_is_text(login, alice, account):
    audit_record(
        actor=alice,
        requester=account,
        action="worker.block",
        target_type="worker",
        target_id='"><script>alert(1)</script>',
    )
    page = login(alice).get("/audit/").content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert _links(page) == set()


@pytest.mark.parametrize("target_id", ["²", "\u0661", "9" * 40, "-1", "1.0", ""])
def test_a_target_id_that_is_no_key_of_ours_is_text(login, alice, account, target_id):
    audit_record(
        actor=alice,
        requester=account,
        action="batch.touch",
        target_type="batch",
        target_id=target_id,
    )
    response = login(alice).get("/audit/")
    assert response.status_code == 200
    assert _links(response.content.decode()) == set()
