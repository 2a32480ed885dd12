"""Bonuses past the reviewers' cap (the account's per-assignment cap, $5.00 here): a manager is
asked with the amount and its cost, and nothing is paid at the local MTurk until they say yes;
the yes pays once. A reviewer is refused as before; under the cap nobody is asked."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.hits.models import Assignment
from apps.requesters.models import Membership, Requester
from apps.review.decisions import services as decisions
from apps.review.models import BonusBatch, BonusPayment
from apps.sync.services import requester_sync
from tests.helpers import create_hit, work

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "This bonus of $12.00 is above the reviewers' cap of $5.00 per assignment."


@pytest.fixture
def two(local_account, account_mturk, emulator) -> list[Assignment]:
    hit = create_hit(account_mturk, MaxAssignments=2)
    ids = [work(emulator, hit["HITId"])[0] for _ in range(2)]
    requester_sync(requester=local_account)
    return [Assignment.objects.select_related("hit").get(mturk_id=i) for i in ids]


def _paid_at_mturk(account_mturk, assignment: Assignment) -> list[str]:
    payments = account_mturk.list_bonus_payments(AssignmentId=assignment.mturk_id)
    return [p["BonusAmount"] for p in payments["BonusPayments"]]


def _post(client, assignment, **form) -> str:
    response = client.post(f"/review/{assignment.pk}/bonus/", form, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def _confirm_fields(body: str) -> dict:
    """The hidden fields of the card's "Yes, pay" form, as a browser would post them."""
    block = body[
        body.index("data-bonus-confirm") : body.index("</form>", body.index("data-bonus-confirm"))
    ]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', block))


def test_a_managers_bonus_over_the_cap_asks_and_pays_nothing(login, carol, two, account_mturk):
    body = _post(login(carol), two[0], amount="12", reason="Huge help", token="n1")

    assert QUESTION in body
    assert "With MTurk's fee of $2.40 it costs $14.40. Pay it?" in body
    assert "Yes, pay $12.00</button>" in body
    assert "paid." not in body
    assert _paid_at_mturk(account_mturk, two[0]) == []
    assert not BonusPayment.objects.exists()


def test_the_yes_pays_it_exactly_once(login, carol, two, account_mturk):
    client = login(carol)
    fields = _confirm_fields(_post(client, two[0], amount="12", reason="Huge help", token="n1"))
    assert fields["confirm"] == "1" and fields["amount"] == "12.00"

    body = _post(client, two[0], **fields)
    assert "Bonus of $12.00 paid." in body
    body = _post(client, two[0], **fields)  # the yes clicked twice
    assert "Bonus of $12.00 paid." in body

    assert _paid_at_mturk(account_mturk, two[0]) == ["12.00"]
    assert BonusPayment.objects.get().amount == Decimal("12.00")


def test_bonuses_already_paid_count_toward_the_cap(login, carol, two, account_mturk):
    client = login(carol)
    assert "Bonus of $4.00 paid." in _post(client, two[0], amount="4", reason="Good", token="a")
    body = _post(client, two[0], amount="2", reason="More", token="b")
    assert (
        "This bonus of $2.00 takes the bonuses on this assignment to $6.00 ($4.00 paid already),"
        " above the reviewers' cap of $5.00 per assignment." in body
    )
    assert _paid_at_mturk(account_mturk, two[0]) == ["4.00"]
    # Another assignment has its own room: no question.
    assert "Bonus of $2.00 paid." in _post(client, two[1], amount="2", reason="More", token="c")


def test_under_the_cap_a_manager_is_not_asked(login, carol, two, account_mturk):
    body = _post(login(carol), two[0], amount="5.00", reason="Exactly the cap", token="n")
    assert "Bonus of $5.00 paid." in body
    assert "Pay it?" not in body
    assert _paid_at_mturk(account_mturk, two[0]) == ["5.00"]


def test_a_reviewer_over_the_cap_is_refused_even_with_confirm(login, bob, two, account_mturk):
    client = login(bob)
    for extra in ({}, {"confirm": "1"}):
        body = _post(client, two[0], amount="12", reason="Huge help", token="n", **extra)
        assert (
            '<p class="error" role="alert">A bonus of $12.00 is above this account&#x27;s cap of'
            " $5.00 for reviewers.</p>" in body
        )
        assert "Pay it?" not in body
    assert _paid_at_mturk(account_mturk, two[0]) == []


def test_without_javascript_the_question_is_a_page_and_its_yes_pays(
    login, carol, two, account_mturk
):
    client = login(carol)
    response = client.post(
        f"/review/{two[0].pk}/bonus/",
        {"amount": "12", "reason": 'Bold <b>"thanks"</b>', "token": "n", "next": "/review/"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert QUESTION in page and "Yes, pay $12.00</button>" in page
    assert 'value="Bold &lt;b&gt;&quot;thanks&quot;&lt;/b&gt;"' in page
    assert _paid_at_mturk(account_mturk, two[0]) == []

    form = page[page.index("<form", page.index("Please confirm")) :]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    fields = {
        k: v.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
        for k, v in fields.items()
    }
    assert fields["confirm"] == "1"
    response = client.post(f"/review/{two[0].pk}/bonus/", fields)
    assert response.status_code == 302 and response["Location"] == "/review/"
    assert _paid_at_mturk(account_mturk, two[0]) == ["12.00"]
    assert BonusPayment.objects.get().reason == 'Bold <b>"thanks"</b>'


def test_a_viewer_and_an_outsider_pay_nothing_even_confirmed(
    login, victor, charlie, two, account_mturk
):
    form = {"amount": "12", "reason": "x", "token": "n", "confirm": "1"}
    assert login(victor).post(f"/review/{two[0].pk}/bonus/", form).status_code == 403
    assert login(charlie).post(f"/review/{two[0].pk}/bonus/", form).status_code == 404
    assert _paid_at_mturk(account_mturk, two[0]) == []


def _upload(client, lines: list[str]) -> BonusBatch:
    client.post(
        "/review/bonuses/upload/",
        {"file": SimpleUploadedFile("b.csv", "\n".join(lines).encode(), content_type="text/csv")},
    )
    return BonusBatch.objects.latest("pk")


def test_a_managers_bonus_csv_past_the_cap_asks_before_paying(
    login, carol, two, account_mturk, eager
):
    client = login(carol)
    batch = _upload(
        client,
        [
            "WorkerId,AssignmentId,Amount,Reason",
            f"{two[0].worker_id},{two[0].mturk_id},12.00,Huge help",
            f"{two[1].worker_id},{two[1].mturk_id},1.00,Thanks",
        ],
    )
    page = client.get(f"/review/bonuses/{batch.pk}/").content.decode()
    assert (
        "1 of these bonuses ($12.00 together) takes an assignment past the reviewers' cap of $5.00"
        in page
    )

    asked = client.post(f"/review/bonuses/{batch.pk}/pay/")
    body = asked.content.decode()
    assert asked.status_code == 200
    assert (
        "Nothing is paid yet. 1 of these bonuses ($12.00) is above the reviewers' cap of $5.00 per"
        " assignment. Pay all 2 bonuses: $13.00 + $2.60 MTurk fees = $15.60?" in body
    )
    assert "Yes, pay $15.60</button>" in body
    assert BonusBatch.objects.get(pk=batch.pk).status == "preview"
    assert (
        _paid_at_mturk(account_mturk, two[0]) == [] and _paid_at_mturk(account_mturk, two[1]) == []
    )

    client.post(f"/review/bonuses/{batch.pk}/pay/", {"confirm": "1"})
    client.post(f"/review/bonuses/{batch.pk}/pay/", {"confirm": "1"})  # clicked twice
    assert BonusBatch.objects.get(pk=batch.pk).status == "done"
    assert _paid_at_mturk(account_mturk, two[0]) == ["12.00"]
    assert _paid_at_mturk(account_mturk, two[1]) == ["1.00"]


def test_a_bonus_csv_within_the_cap_pays_at_the_first_click(
    login, carol, two, account_mturk, eager
):
    client = login(carol)
    batch = _upload(
        client,
        [
            "WorkerId,AssignmentId,Amount,Reason",
            f"{two[0].worker_id},{two[0].mturk_id},2.50,Thanks",
            f"{two[0].worker_id},{two[0].mturk_id},2.50,Thanks again",
        ],
    )
    assert "reviewers' cap" not in client.get(f"/review/bonuses/{batch.pk}/").content.decode()
    response = client.post(f"/review/bonuses/{batch.pk}/pay/")
    assert response.status_code == 302
    assert sorted(_paid_at_mturk(account_mturk, two[0])) == ["2.50", "2.50"]


def test_a_managers_bonus_by_rule_past_the_cap_asks_before_paying(
    login, carol, gold_batch, local_account, account_mturk, eager
):
    Requester.objects.filter(pk=local_account.pk).update(daily_spend_limit=Decimal("1000.00"))
    membership = Membership.objects.select_related("requester").get(user=carol)
    approved = Assignment.objects.filter(requester=local_account).order_by("pk")[:2]
    for assignment in approved:
        decisions.assignment_approve(membership=membership, assignment=assignment, actor=carol)
    client = login(carol)
    response = client.post(
        f"/review/batches/{gold_batch.batch.pk}/bonuses/",
        {"mode": "per_approved", "amount": "6.00", "reason": "Above and beyond"},
    )
    batch = BonusBatch.objects.get()
    assert response["Location"] == f"/review/bonuses/{batch.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "2 of these bonuses ($12.00 together) take an assignment past the reviewers' cap" in page

    body = client.post(f"/review/bonuses/{batch.pk}/pay/").content.decode()
    assert (
        "2 of these bonuses ($12.00) are above the reviewers' cap of $5.00 per assignment."
        " Pay all 2 bonuses: $12.00 + $2.40 MTurk fees = $14.40?" in body
    )
    assert all(_paid_at_mturk(account_mturk, a) == [] for a in approved)

    client.post(f"/review/bonuses/{batch.pk}/pay/", {"confirm": "1"})
    assert all(_paid_at_mturk(account_mturk, a) == ["6.00"] for a in approved)
