"""Bad input on the batch review pages: a clear message, nothing made, never a 500."""

from __future__ import annotations

import pytest

from apps.batches.models import Batch
from apps.qualifications.models import QualificationType
from apps.review.models import AutoReviewRule, BonusBatch, ScoreUpdate
from tests.batches.conftest import make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(account, carol):
    project = make_project(account, carol, gold_fields={"label": "gold_label"})
    return Batch.objects.create(
        project=project, requester=account, name="b", hit_type_mturk_id="T" * 30
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "bogus"}, "Select a valid choice"),
        ({"kind": "approve_gold_at_least", "threshold": "abc"}, "Enter a whole number"),
        ({"kind": "approve_gold_at_least"}, "Give an accuracy from 0 to 100 %."),
        ({"kind": "approve_after_days", "days": "0"}, "greater than or equal to 1"),
        ({"kind": "reject_gold_below", "threshold": "50"}, "Say why: workers see this feedback."),
        (
            {"kind": "reject_gold_below", "threshold": "50", "feedback": "a\x00b"},
            "Null characters are not allowed.",
        ),
    ],
)
def test_a_bad_rule_is_refused_with_a_message(batch, carol, login, data, message):
    response = login(carol).post(f"/review/batches/{batch.pk}/rules/", data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AutoReviewRule.objects.exists()


def test_a_gold_rule_needs_gold_fields(batch, carol, login):
    batch.project.gold_fields = {}
    batch.project.save()
    page = login(carol).post(
        f"/review/batches/{batch.pk}/rules/",
        {"kind": "approve_gold_at_least", "threshold": "80", "min_gold": "1"},
        follow=True,
    )
    assert "The project names no gold fields" in page.content.decode()
    assert not AutoReviewRule.objects.exists()


def test_bad_bonus_rules_and_score_sources_are_refused(batch, carol, login, other_account):
    client = login(carol)
    page = client.post(
        f"/review/batches/{batch.pk}/bonuses/",
        {"mode": "everything", "amount": "1", "reason": "r"},
        follow=True,
    ).content.decode()
    assert "Choose how to count" in page
    foreign = QualificationType.objects.create(requester=other_account, mturk_id="Q" * 30, name="q")
    page = client.post(
        f"/review/batches/{batch.pk}/scores/",
        {"qualification_type": foreign.pk, "source": "gold"},
        follow=True,
    ).content.decode()
    assert "Choose a qualification and a source." in page
    assert not BonusBatch.objects.exists() and not ScoreUpdate.objects.exists()
