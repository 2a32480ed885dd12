"""A viewer reads every review page and finds no button or link for what they may not do:
no approve, reject or bonus, no upload of decisions or bonuses, no rule to add, turn off or
remove, no score to set, no job to apply or stop, no bonuses to pay. The same pages show those
actions to the roles that may take them, so each assertion can fail."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.qualifications.services import qualification_type_create
from apps.requesters.models import Membership, Requester
from apps.review.bonuses import by_rule
from apps.review.decisions import csvround
from apps.review.models import AutoReviewRule, BonusBatch
from apps.review.quality import rules, scores

pytestmark = pytest.mark.django_db(transaction=True)

QUEUE_ACTIONS = [
    "Upload decisions</a>",
    "Upload bonuses</a>",
    'data-key="a"',
    'data-key="r"',
    'data-key="b"',
    'id="bulk-form"',
    "<kbd>a</kbd> approve",
]


def _membership(user) -> Membership:
    return Membership.objects.select_related("requester").get(user=user)


def test_the_queue_shows_a_viewer_no_action(login, victor, bob, submitted):
    as_viewer = login(victor).get("/review/").content.decode()
    assert submitted.mturk_id in as_viewer
    for action in QUEUE_ACTIONS:
        assert action not in as_viewer, action
    as_reviewer = login(bob).get("/review/").content.decode()
    for action in QUEUE_ACTIONS:
        assert action in as_reviewer, action


def test_a_viewer_is_refused_the_upload_pages_all_the_same(login, victor):
    client = login(victor)
    for path in ("/review/import/", "/review/bonuses/upload/"):
        response = client.get(path)
        assert response.status_code in (302, 403), path
        assert b"Check the file" not in response.content


def test_the_batch_pages_show_a_viewer_no_rule_score_or_bonus_action(
    login, victor, carol, gold_batch
):
    batch = gold_batch.batch
    membership = _membership(carol)
    rules.rule_create(
        membership=membership,
        actor=carol,
        batch=batch,
        kind=AutoReviewRule.Kind.APPROVE_GOLD,
        threshold=75,
        min_gold=2,
    )
    qtype = qualification_type_create(
        membership=membership,
        actor=carol,
        data={"name": "Careful labeller", "description": "Gold accuracy", "status": "Active"},
    )
    update = scores.score_update_preview(
        membership=membership, actor=carol, batch=batch, qualification_type=qtype, source="gold"
    )
    pages = {
        f"/review/batches/{batch.pk}/": [
            "Turn off</button>",
            "Remove</button>",
            "Add the rule</button>",
            "Preview the bonuses</button>",
        ],
        f"/review/batches/{batch.pk}/quality/": ["Preview the scores</button>"],
        f"/review/scores/{update.pk}/": ["Set 2 scores</button>"],
    }
    viewer = login(victor)
    for path, actions in pages.items():
        page = viewer.get(path).content.decode()
        assert batch.name in page, path
        for action in actions:
            assert action not in page, (path, action)
    manager = login(carol)
    for path, actions in pages.items():
        page = manager.get(path).content.decode()
        for action in actions:
            assert action in page, (path, action)


def test_a_job_and_a_bonus_batch_show_a_viewer_no_apply_stop_or_pay(
    login, victor, carol, submitted, local_account
):
    Requester.objects.filter(pk=local_account.pk).update(daily_spend_limit=Decimal("5000.00"))
    membership = _membership(carol)
    review_csv = (
        "AssignmentId,WorkerId,HITId,Approve,Reject\n"
        f"{submitted.mturk_id},{submitted.worker_id},{submitted.hit.mturk_id},x,\n"
    )
    job = csvround.review_csv_import(
        membership=membership,
        actor=carol,
        upload=SimpleUploadedFile("r.csv", review_csv.encode(), content_type="text/csv"),
    )
    bonus_csv = (
        "WorkerId,AssignmentId,Amount,Reason\n"
        f"{submitted.worker_id},{submitted.mturk_id},1234.50,Thanks\n"
    )
    login(carol).post(
        "/review/bonuses/upload/",
        {"file": SimpleUploadedFile("b.csv", bonus_csv.encode(), content_type="text/csv")},
    )
    bonus_batch = BonusBatch.objects.get()

    viewer = login(victor)
    job_page = viewer.get(f"/review/jobs/{job.pk}/").content.decode()
    assert "1 to approve, 0 to reject." in job_page
    assert "Apply 1 decision</button>" not in job_page
    bonus_page = viewer.get(f"/review/bonuses/{bonus_batch.pk}/").content.decode()
    assert '<td class="num">$1,234.50</td>' in bonus_page  # amounts with two decimals
    assert "Pay 1 bonus" not in bonus_page and "Yes, pay" not in bonus_page

    manager = login(carol)
    assert "Apply 1 decision</button>" in manager.get(f"/review/jobs/{job.pk}/").content.decode()
    assert "Pay 1 bonus ($1,481.40)</button>" in (
        manager.get(f"/review/bonuses/{bonus_batch.pk}/").content.decode()
    )


def test_a_viewer_cannot_make_bonuses_by_rule_either(login, victor, gold_batch):
    response = login(victor).post(
        f"/review/batches/{gold_batch.batch.pk}/bonuses/",
        {"mode": by_rule.PER_APPROVED, "amount": "1.00", "reason": "Thanks"},
    )
    assert response.status_code == 403
    assert not BonusBatch.objects.exists()
