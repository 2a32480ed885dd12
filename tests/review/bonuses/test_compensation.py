from __future__ import annotations

from decimal import Decimal

import pytest

from apps.review.models import Compensation
from apps.sync.services import requester_sync
from tests.fixtures.emulator import EmulatorControlError
from tests.helpers import create_hit, new_worker_id, work

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_compensation_hit_is_for_its_worker_only_and_paid_on_submission(
    login, carol, local_account, account_mturk, emulator
):
    hit = create_hit(account_mturk)
    _, worker = work(emulator, hit["HITId"])
    requester_sync(requester=local_account)
    before = Decimal(account_mturk.get_account_balance()["AvailableBalance"])
    response = login(carol).post(
        f"/workers/{worker}/compensate/",
        {"amount": "2.00", "reason": "Our form broke; thanks for telling us"},
        follow=True,
    )
    assert "only" in response.content.decode()
    compensation = Compensation.objects.get()
    outsider = new_worker_id()
    emulator.set_worker(outsider)
    with pytest.raises(EmulatorControlError):
        emulator.accept(outsider, compensation.hit_mturk_id)
    assignment = emulator.accept(worker, compensation.hit_mturk_id)
    emulator.submit(assignment, answers={"compensation": "received"})
    status = account_mturk.get_assignment(AssignmentId=assignment)["Assignment"]["AssignmentStatus"]
    assert status == "Approved"
    assert before - Decimal(account_mturk.get_account_balance()["AvailableBalance"]) == Decimal(
        "2.40"
    )


def test_a_reviewer_cannot_make_one(login, bob, local_account, account_mturk, emulator):
    hit = create_hit(account_mturk)
    _, worker = work(emulator, hit["HITId"])
    requester_sync(requester=local_account)
    assert (
        login(bob)
        .post(f"/workers/{worker}/compensate/", {"amount": "1", "reason": "x"})
        .status_code
        == 403
    )
    assert not Compensation.objects.exists()
