"""Qualification scores from a batch's quality: previewed with the current scores, set once as a
job at the local MTurk (no notification), each worker's failure shown."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.qualifications.services import qualification_type_create, worker_score_set
from apps.requesters.models import Membership
from apps.review.models import ScoreUpdate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def qtype(gold_batch, carol):
    membership = Membership.objects.select_related("requester").get(user=carol)
    return qualification_type_create(
        membership=membership,
        actor=carol,
        data={"name": "Careful labeller", "description": "Gold accuracy", "status": "Active"},
    )


def _calls(emulator, account, operation: str) -> int:
    return emulator.stats()["customers"].get(account.access_key_id, {}).get(operation, 0)


def _score_at_mturk(account_mturk, qtype, worker_id) -> int:
    return account_mturk.get_qualification_score(
        QualificationTypeId=qtype.mturk_id, WorkerId=worker_id
    )["Qualification"]["IntegerValue"]


def test_gold_accuracy_becomes_a_score_at_mturk_once(
    gold_batch, qtype, carol, login, account_mturk, emulator, local_account
):
    membership = Membership.objects.select_related("requester").get(user=carol)
    worker_score_set(
        membership=membership,
        actor=carol,
        worker_id=gold_batch.careless,
        qualification_type=qtype,
        value=10,
    )
    client = login(carol)
    quality = client.get(f"/review/batches/{gold_batch.batch.pk}/quality/").content.decode()
    assert "Set a qualification score from these figures" in quality

    response = client.post(
        f"/review/batches/{gold_batch.batch.pk}/scores/",
        {"qualification_type": qtype.pk, "source": "gold"},
    )
    update = ScoreUpdate.objects.get()
    assert response["Location"] == f"/review/scores/{update.pk}/"
    assert sorted((c["worker_id"], c["current"], c["value"]) for c in update.changes) == sorted(
        [(gold_batch.careful, None, 100), (gold_batch.careless, 10, 25)]
    )
    page = client.get(response["Location"]).content.decode()
    assert "Set 2 scores" in page
    assert _score_at_mturk(account_mturk, qtype, gold_batch.careless) == 10  # nothing set yet

    client.post(f"/review/scores/{update.pk}/apply/")
    client.post(f"/review/scores/{update.pk}/apply/")  # a second click

    assert _score_at_mturk(account_mturk, qtype, gold_batch.careful) == 100
    assert _score_at_mturk(account_mturk, qtype, gold_batch.careless) == 25
    assert _calls(emulator, local_account, "AssociateQualificationWithWorker") == 3  # 1 + 2
    update.refresh_from_db()
    assert update.status == "done"
    assert AuditEvent.objects.filter(action="qualification.scores.from_quality").count() == 1
    grants = AuditEvent.objects.filter(action="qualification.grant").order_by("id")
    assert grants[0].details["value"] == 10  # the score granted before
    assert sorted(g.details["value"] for g in grants[1:]) == [25, 100]
    assert "2 of 2 set" in client.get(response["Location"]).content.decode()


def test_each_worker_mturk_refused_is_shown(gold_batch, qtype, carol, login, emulator, settings):
    settings.MTURK_MAX_ATTEMPTS = 1
    client = login(carol)
    client.post(
        f"/review/batches/{gold_batch.batch.pk}/scores/",
        {"qualification_type": qtype.pk, "source": "gold"},
    )
    update = ScoreUpdate.objects.get()
    emulator.faults(error_rate=1.0, operations=["AssociateQualificationWithWorker"])
    client.post(f"/review/scores/{update.pk}/apply/")
    emulator.clear_faults()
    page = client.get(f"/review/scores/{update.pk}/").content.decode()
    assert "0 of 2 set" in page and "2 failed" in page
    assert gold_batch.careful in page and gold_batch.careless in page


def test_agreement_and_crowd_estimates_are_sources_too(gold_batch, qtype, carol, login):
    client = login(carol)
    for source in ("agreement", "crowd"):
        client.post(
            f"/review/batches/{gold_batch.batch.pk}/scores/",
            {"qualification_type": qtype.pk, "source": source, "method": "majority"},
        )
        update = ScoreUpdate.objects.get(source=source)
        assert {c["worker_id"] for c in update.changes} == {
            gold_batch.careful,
            gold_batch.careless,
        }
        assert all(0 <= c["value"] <= 100 for c in update.changes)


def test_a_reviewer_cannot_set_scores(gold_batch, qtype, bob, login):
    response = login(bob).post(
        f"/review/batches/{gold_batch.batch.pk}/scores/",
        {"qualification_type": qtype.pk, "source": "gold"},
    )
    assert response.status_code == 403
    assert not ScoreUpdate.objects.exists()
