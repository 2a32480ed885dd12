from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.hits.models import Assignment
from apps.requesters.models import Membership
from apps.review.bonuses import bulk
from apps.review.models import BonusBatch, BonusPayment
from apps.sync.services import requester_sync
from tests.helpers import create_hit, work

pytestmark = pytest.mark.django_db(transaction=True)


def test_bonuses_from_a_csv_are_priced_then_paid_once_per_row(
    login, carol, local_account, account_mturk, emulator
):
    hit = create_hit(account_mturk, MaxAssignments=3)
    done = [work(emulator, hit["HITId"]) for _ in range(3)]
    requester_sync(requester=local_account)
    lines = ["WorkerId,AssignmentId,Amount,Reason"]
    lines += [f"{worker},{assignment},1.00,Thanks for the detail" for assignment, worker in done]
    lines.append(f"{done[1][1]},{done[0][0]},0.50,Wrong worker for this assignment")
    lines.append(f"{done[0][1]},{done[0][0]},-2,Negative")
    client = login(carol)
    upload = SimpleUploadedFile("bonuses.csv", "\n".join(lines).encode(), content_type="text/csv")
    response = client.post("/review/bonuses/upload/", {"file": upload})
    batch = BonusBatch.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "$3.00" in page and "$0.60" in page and "$3.60" in page
    assert "Row 5:" in page and "not " in page and "Row 6:" in page

    before = Decimal(account_mturk.get_account_balance()["AvailableBalance"])
    membership = Membership.objects.select_related("requester").get(user=carol)
    assert bulk.bonus_batch_pay(membership=membership, actor=carol, batch=batch) == {
        "paid": 3,
        "failed": 0,
    }
    batch.refresh_from_db()
    bulk.bonus_batch_pay(membership=membership, actor=carol, batch=batch)  # a second click
    assert BonusPayment.objects.filter(status="sent").count() == 3
    assert before - Decimal(account_mturk.get_account_balance()["AvailableBalance"]) == Decimal(
        "3.60"
    )
    for assignment_id, _ in done:
        listed = account_mturk.list_bonus_payments(AssignmentId=assignment_id)["BonusPayments"]
        assert len(listed) == 1
    assert Assignment.objects.count() == 3


def test_a_reviewer_sees_rows_over_the_cap(login, bob, local_account, account_mturk, emulator):
    hit = create_hit(account_mturk)
    assignment_id, worker = work(emulator, hit["HITId"])
    requester_sync(requester=local_account)
    body = f"WorkerId,AssignmentId,Amount,Reason\n{worker},{assignment_id},9.00,Big\n"
    client = login(bob)
    response = client.post(
        "/review/bonuses/upload/", {"file": SimpleUploadedFile("b.csv", body.encode())}
    )
    page = client.get(response["Location"]).content.decode()
    assert "would take an assignment past your cap of $5.00 per assignment" in page


def test_missing_columns_are_named(login, carol, local_account):
    response = login(carol).post(
        "/review/bonuses/upload/",
        {"file": SimpleUploadedFile("b.csv", b"WorkerId,Amount\nA1,1\n")},
        follow=True,
    )
    assert "The file has no AssignmentId, Reason column." in response.content.decode()
