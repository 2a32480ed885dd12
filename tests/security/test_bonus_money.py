"""Attacks on the money of bonuses, mounted against a real local MTurk.

- A bonus token from the client, or another account's: never "already paid", never merged with
  someone else's payment.
- A reviewer's cap: on the total of an assignment's bonuses, not per payment; on the card, the
  bonus CSV and bonuses by rule; under two posts at once.
- Amounts that are no amounts (NaN, Infinity, 1e30, -1, 0, 0.001): a form error on the four
  paths that take one (bonus form, bonus CSV, compensation, bonus by rule), never a 500 and
  never a call to MTurk.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from apps.batches.models import Batch, BatchStatus
from apps.hits.models import Assignment
from apps.requesters.models import Membership
from apps.requesters.services import SpendingRefused
from apps.review.bonuses import services
from apps.review.decisions import services as decision_services
from apps.review.models import BonusBatch, BonusPayment, Compensation
from apps.sync.services import requester_sync
from tests.batches.conftest import make_project
from tests.fixtures.emulator import make_mturk_client
from tests.helpers import create_hit, work
from tests.review.conftest import eager as eager  # the shared fixtures
from tests.review.conftest import gold_batch as gold_batch

pytestmark = pytest.mark.django_db(transaction=True)

NOT_AMOUNTS = ["NaN", "Infinity", "-Infinity", "sNaN", "1e30", "-1", "0", "0.001"]
MORE_NOT_AMOUNTS = ["nan", "inf", "1E+2", "10000.01", "1,000", "0.00", " ", "$-1"]


def _calls(emulator, account, operation: str) -> int:
    return emulator.stats()["customers"].get(account.access_key_id, {}).get(operation, 0)


def _membership(user, account) -> Membership:
    return Membership.objects.select_related("requester").get(user=user, requester=account)


def _submitted(account, client, emulator, count: int = 1) -> list[Assignment]:
    hit = create_hit(client, MaxAssignments=count)
    ids = [work(emulator, hit["HITId"])[0] for _ in range(count)]
    requester_sync(requester=account)
    return [Assignment.objects.select_related("hit").get(mturk_id=i) for i in ids]


def _card_post(client, assignment, **form):
    response = client.post(f"/review/{assignment.pk}/bonus/", form, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def mine(local_account, account_mturk, emulator) -> list[Assignment]:
    """Two submitted assignments of account A (alice, bob, carol, victor), by two workers."""
    return _submitted(local_account, account_mturk, emulator, count=2)


@pytest.fixture
def theirs(other_account, emulator_server, emulator, charlie, login):
    """A bonus that charlie paid on account B (another customer of the same local MTurk) from
    B's review card, as the pay form does: (B's assignment, the form's token, B's payment)."""
    other_account.endpoint_url = emulator_server.url
    other_account.save(update_fields=["endpoint_url"])
    other_mturk = make_mturk_client(emulator_server.url, access_key_id=other_account.access_key_id)
    (assignment,) = _submitted(other_account, other_mturk, emulator)
    form_token = "bonus-3f2a9c1e0b7d4a6f8e5c2b1a0d9f8e7c"
    body = _card_post(
        login(charlie), assignment, amount="0.50", reason="Careful work", token=form_token
    )
    assert "Bonus of $0.50 paid." in body
    payment = BonusPayment.objects.get(requester=other_account)
    assert payment.status == "sent"
    return assignment, form_token, payment


def _frozen(payment: BonusPayment) -> tuple:
    payment = BonusPayment.objects.get(pk=payment.pk)
    return (
        payment.requester_id,
        payment.assignment_mturk_id,
        payment.worker_id,
        payment.amount,
        payment.status,
        payment.unique_request_token,
        payment.granted_at,
        payment.error,
    )


# 1. Tokens -------------------------------------------------------------------------------------


@pytest.mark.parametrize("posted", ["stored token", "form token", "stored token, pending"])
def test_it_never_answers_already_paid_with_another_accounts_token(
    posted, login, bob, mine, theirs, local_account, other_account, emulator, account_mturk
):
    _, form_token, their_payment = theirs
    if posted.endswith("pending"):
        # A payment of B still in flight: bob must not be able to deliver it, or mark it paid.
        BonusPayment.objects.filter(pk=their_payment.pk).update(status="pending", granted_at=None)
    token = form_token if posted == "form token" else their_payment.unique_request_token
    before = _frozen(their_payment)
    their_calls = _calls(emulator, other_account, "SendBonus")

    body = _card_post(login(bob), mine[0], amount="0.50", reason="Careful work", token=token)

    assert _frozen(their_payment) == before
    assert _calls(emulator, other_account, "SendBonus") == their_calls
    ours = BonusPayment.objects.get(requester=local_account)
    assert (ours.assignment_mturk_id, ours.worker_id, ours.amount, ours.status) == (
        mine[0].mturk_id,
        mine[0].worker_id,
        Decimal("0.50"),
        "sent",
    )
    assert ours.unique_request_token != their_payment.unique_request_token
    assert "Bonus of $0.50 paid." in body
    listed = account_mturk.list_bonus_payments(AssignmentId=mine[0].mturk_id)["BonusPayments"]
    assert [(p["WorkerId"], p["BonusAmount"]) for p in listed] == [(mine[0].worker_id, "0.50")]
    assert _calls(emulator, local_account, "SendBonus") == 1


def test_it_pays_a_reused_form_token_for_another_amount_or_worker_as_a_payment_of_its_own(
    login, bob, mine, local_account, emulator, account_mturk
):
    client = login(bob)
    token = "bonus-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    assert "Bonus of $0.50 paid." in _card_post(
        client, mine[0], amount="0.50", reason="Good", token=token
    )
    first = BonusPayment.objects.get()
    before = _frozen(first)

    assert "Bonus of $0.75 paid." in _card_post(
        client, mine[0], amount="0.75", reason="Good", token=token
    )
    # The same form on another worker's assignment.
    assert "Bonus of $0.50 paid." in _card_post(
        client, mine[1], amount="0.50", reason="Good", token=token
    )

    assert _frozen(first) == before
    payments = BonusPayment.objects.filter(requester=local_account).order_by("pk")
    assert [(p.worker_id, p.amount, p.status) for p in payments] == [
        (mine[0].worker_id, Decimal("0.50"), "sent"),
        (mine[0].worker_id, Decimal("0.75"), "sent"),
        (mine[1].worker_id, Decimal("0.50"), "sent"),
    ]
    assert len({p.unique_request_token for p in payments}) == 3
    assert _calls(emulator, local_account, "SendBonus") == 3


def test_it_refuses_a_stored_token_for_another_payment_at_the_service(
    bob, mine, local_account, emulator
):
    membership = _membership(bob, local_account)
    first = services.bonus_send(
        membership=membership,
        actor=bob,
        worker_id=mine[0].worker_id,
        assignment_mturk_id=mine[0].mturk_id,
        amount="0.50",
        reason="Good",
    )
    before = _frozen(first)
    for other in (
        {"worker_id": mine[1].worker_id, "assignment_mturk_id": mine[1].mturk_id, "amount": "0.50"},
        {"worker_id": mine[0].worker_id, "assignment_mturk_id": mine[0].mturk_id, "amount": "0.60"},
    ):
        with pytest.raises(ValidationError, match="belongs to another payment"):
            services.bonus_send(
                membership=membership,
                actor=bob,
                reason="Good",
                token=first.unique_request_token,
                **other,
            )
    assert _frozen(first) == before
    assert BonusPayment.objects.count() == 1
    assert _calls(emulator, local_account, "SendBonus") == 1


def test_a_double_posted_bonus_form_pays_once(login, bob, mine, local_account, emulator):
    client = login(bob)
    page = client.get("/review/").content.decode()
    token = page.split('name="token" value="', 1)[1].split('"', 1)[0]
    form = {"amount": "1.25", "reason": "Careful work", "token": token}
    for _ in range(2):
        assert "Bonus of $1.25 paid." in _card_post(client, mine[0], **form)
    assert BonusPayment.objects.count() == 1
    assert _calls(emulator, local_account, "SendBonus") == 1


def test_two_posts_of_one_form_at_once_pay_once(bob, mine, local_account, account_mturk):
    outcomes = _at_once(
        lambda: services.bonus_send(
            membership=_membership(bob, local_account),
            actor=bob,
            worker_id=mine[0].worker_id,
            assignment_mturk_id=mine[0].mturk_id,
            amount="1.00",
            reason="Careful work",
            form_nonce="one-form",
        ),
        times=2,
    )
    assert len({o.pk for o in outcomes}) == 1, outcomes
    assert BonusPayment.objects.get().status == "sent"
    # The second may send the same token again while the first is on its way: MTurk pays once.
    listed = account_mturk.list_bonus_payments(AssignmentId=mine[0].mturk_id)["BonusPayments"]
    assert len(listed) == 1


def _pending_since(bob, account, assignment, hours: int) -> BonusPayment:
    """A payment recorded `hours` ago whose call never reached MTurk (a crash, an outage)."""
    payment = BonusPayment.objects.create(
        requester=account,
        worker_id=assignment.worker_id,
        assignment_mturk_id=assignment.mturk_id,
        amount=Decimal("0.80"),
        reason="Late but owed",
        unique_request_token="bonus-" + "7" * 32,
    )
    BonusPayment.objects.filter(pk=payment.pk).update(
        created_at=timezone.now() - timedelta(hours=hours)
    )
    payment.refresh_from_db()
    return payment


def test_past_mturks_token_window_retries_at_once_still_pay_once(
    bob, mine, local_account, account_mturk, emulator
):
    """MTurk keeps a UniqueRequestToken 24 hours. Two retries of an old pending payment at the
    same moment both find nothing paid yet (ListBonusPayments is slowed so that they meet):
    they send the same token for the new window, so MTurk pays once."""
    payment = _pending_since(bob, local_account, mine[0], hours=30)
    emulator.faults(latency_ms=600, operations=["ListBonusPayments"])
    outcomes = _at_once(lambda: services.bonus_deliver(payment=payment), times=2)
    emulator.clear_faults()
    assert {o.status for o in outcomes} == {"sent"}
    listed = account_mturk.list_bonus_payments(AssignmentId=mine[0].mturk_id)["BonusPayments"]
    assert [p["BonusAmount"] for p in listed] == ["0.80"]
    # The stored token stays the payment's own: a retried form or batch row still finds it.
    payment.refresh_from_db()
    assert payment.unique_request_token == "bonus-" + "7" * 32


def test_each_token_window_has_its_own_token_and_the_first_keeps_the_stored_one(
    bob, mine, local_account
):
    payment = _pending_since(bob, local_account, mine[0], hours=0)
    created = payment.created_at
    tokens = [
        services.bonus_call_token(payment, created + timedelta(hours=h))
        for h in (1, 23, 25, 47, 49)
    ]
    assert tokens[0] == tokens[1] == payment.unique_request_token
    assert tokens[2] == tokens[3] != tokens[1]
    assert tokens[4] not in tokens[:4]
    assert all(len(token) <= 64 for token in tokens)  # MTurk's limit for UniqueRequestToken


def test_an_old_pending_payment_that_did_pay_is_marked_sent_without_paying_again(
    bob, mine, local_account, account_mturk, emulator
):
    payment = _pending_since(bob, local_account, mine[0], hours=30)
    account_mturk.send_bonus(
        WorkerId=payment.worker_id,
        BonusAmount="0.80",
        AssignmentId=payment.assignment_mturk_id,
        Reason="Late but owed",
        UniqueRequestToken=payment.unique_request_token,
    )
    sent_before = _calls(emulator, local_account, "SendBonus")
    assert services.bonus_deliver(payment=payment).status == "sent"
    assert _calls(emulator, local_account, "SendBonus") == sent_before
    listed = account_mturk.list_bonus_payments(AssignmentId=mine[0].mturk_id)["BonusPayments"]
    assert len(listed) == 1


def test_bonus_batch_tokens_cannot_be_guessed_or_reached_from_another_account(
    login, carol, mine, local_account
):
    lines = ["WorkerId,AssignmentId,Amount,Reason"]
    lines += [f"{a.worker_id},{a.mturk_id},0.10,Thanks" for a in mine]
    login(carol).post(
        "/review/bonuses/upload/",
        {"file": SimpleUploadedFile("b.csv", "\n".join(lines).encode(), content_type="text/csv")},
    )
    batch = BonusBatch.objects.get()
    tokens = [row["token"] for row in batch.rows]
    assert len(set(tokens)) == 2
    for number, token in enumerate(tokens, start=2):
        assert token.startswith(f"bonusbatch-{batch.pk}-")
        assert token != f"bonusbatch-{batch.pk}-{number}"
        assert len(token.rsplit("-", 1)[1]) >= 32
        assert len(token) <= 64


# 2. The reviewer's cap, per assignment ---------------------------------------------------------


def test_a_reviewers_cap_holds_for_all_bonuses_on_an_assignment(
    login, bob, carol, mine, local_account, emulator
):
    assert local_account.bonus_cap == Decimal("5.00")
    client = login(bob)
    page = client.get("/review/").content.decode()
    assert "You may add up to $5.00 more on this assignment" in page

    body = _card_post(client, mine[0], amount="5", reason="Top work", token="t1")
    assert "Bonus of $5.00 paid." in body
    assert "You may add up to $0.00 more on this assignment" in body

    body = _card_post(client, mine[0], amount="0.01", reason="A little more", token="t2")
    assert "at most $5.00 in bonuses on one assignment" in body
    assert "$5.00 is already paid" in body
    assert "Bonus of" not in body
    assert _calls(emulator, local_account, "SendBonus") == 1

    # Another assignment has its own room.
    assert "Bonus of $0.01 paid." in _card_post(
        client, mine[1], amount="0.01", reason="Thanks", token="t3"
    )
    # A manager may pass a reviewer's cap, once they have said yes to the amount past it.
    body = _card_post(login(carol), mine[0], amount="0.01", reason="A little more", token="t4")
    assert "Bonus of" not in body
    assert _calls(emulator, local_account, "SendBonus") == 2
    assert "Bonus of $0.01 paid." in _card_post(
        login(carol), mine[0], amount="0.01", reason="A little more", token="t4", confirm="1"
    )
    total = sum(p.amount for p in BonusPayment.objects.filter(assignment_mturk_id=mine[0].mturk_id))
    assert total == Decimal("5.01")
    assert _calls(emulator, local_account, "SendBonus") == 3


def test_a_reviewers_cap_holds_under_two_posts_at_once(bob, mine, local_account, emulator):
    def pay():
        try:
            return services.bonus_send(
                membership=_membership(bob, local_account),
                actor=bob,
                worker_id=mine[0].worker_id,
                assignment_mturk_id=mine[0].mturk_id,
                amount="3.00",
                reason="Good",
            )
        except SpendingRefused as exc:
            return exc

    outcomes = _at_once(pay, times=2)
    assert sorted(type(o).__name__ for o in outcomes) == ["BonusPayment", "SpendingRefused"]
    assert BonusPayment.objects.get().amount == Decimal("3.00")
    assert _calls(emulator, local_account, "SendBonus") == 1


def test_a_reviewers_cap_holds_across_a_bonus_csv(login, bob, mine, local_account, emulator, eager):
    services.bonus_send(
        membership=_membership(bob, local_account),
        actor=bob,
        worker_id=mine[0].worker_id,
        assignment_mturk_id=mine[0].mturk_id,
        amount="2.00",
        reason="First",
    )
    lines = ["WorkerId,AssignmentId,Amount,Reason"]
    lines += [f"{mine[0].worker_id},{mine[0].mturk_id},2.00,More"] * 2
    lines += [f"{mine[1].worker_id},{mine[1].mturk_id},5.00,All of it"]
    client = login(bob)
    response = client.post(
        "/review/bonuses/upload/",
        {"file": SimpleUploadedFile("b.csv", "\n".join(lines).encode(), content_type="text/csv")},
    )
    page = client.get(response["Location"]).content.decode()
    assert "1 bonus would take an assignment past your cap of $5.00 per assignment" in page

    client.post(f"/review/bonuses/{BonusBatch.objects.get().pk}/pay/")

    batch = BonusBatch.objects.get()
    assert batch.status == "done"
    assert [p["row"] for p in batch.problems] == [3]
    assert "$4.00 is already paid" in batch.problems[0]["error"]
    assert sum(
        p.amount for p in BonusPayment.objects.filter(assignment_mturk_id=mine[0].mturk_id)
    ) == Decimal("4.00")
    assert _calls(emulator, local_account, "SendBonus") == 3


def test_a_reviewers_cap_holds_across_bonuses_by_rule(
    login, bob, carol, gold_batch, local_account, emulator
):
    manager = _membership(carol, local_account)
    for assignment in Assignment.objects.select_related("hit__hit_type"):
        assert decision_services.assignment_approve(
            membership=manager, assignment=assignment, actor=carol
        ).done
    client = login(bob)
    url = f"/review/batches/{gold_batch.batch.pk}/bonuses/"
    for amount in ("2.00", "3.50"):
        client.post(url, {"mode": "per_approved", "amount": amount, "reason": "Thanks"})
        bonus_batch = BonusBatch.objects.latest("pk")
        page = client.get(f"/review/bonuses/{bonus_batch.pk}/").content.decode()
        client.post(f"/review/bonuses/{bonus_batch.pk}/pay/")
    assert "8 bonuses would take an assignment past your cap of $5.00 per assignment" in page
    assert BonusBatch.objects.latest("pk").status == "done"
    assert len(BonusBatch.objects.latest("pk").problems) == 8
    assert BonusPayment.objects.filter(status="sent").count() == 8
    assert {p.amount for p in BonusPayment.objects.all()} == {Decimal("2.00")}
    assert _calls(emulator, local_account, "SendBonus") == 8


# 3. Amounts that are no amounts ----------------------------------------------------------------


@pytest.fixture
def money_calls(local_account, emulator):
    """The calls that pay (or make a HIT that pays) at the local MTurk, counted now and after."""

    def count():
        return {
            op: _calls(emulator, local_account, op)
            for op in ("SendBonus", "CreateHIT", "CreateQualificationType")
        }

    return count


@pytest.mark.parametrize("amount", NOT_AMOUNTS + MORE_NOT_AMOUNTS)
def test_the_bonus_form_refuses_an_amount_that_is_none(
    amount, login, bob, mine, money_calls, local_account
):
    before = money_calls()
    body = _card_post(login(bob), mine[0], amount=amount, reason="r", token="t")
    assert "Amount:" in body and "Bonus of" not in body
    assert not BonusPayment.objects.exists()
    assert money_calls() == before


@pytest.mark.parametrize("amount", NOT_AMOUNTS + MORE_NOT_AMOUNTS)
def test_the_bonus_csv_refuses_an_amount_that_is_none(
    amount, login, carol, mine, money_calls, local_account
):
    before = money_calls()
    cells = [mine[0].worker_id, mine[0].mturk_id, f'"{amount}"', "r"]  # quoted: "1,000" is one
    body = "WorkerId,AssignmentId,Amount,Reason\n" + ",".join(cells) + "\n"
    client = login(carol)
    response = client.post(
        "/review/bonuses/upload/", {"file": SimpleUploadedFile("b.csv", body.encode())}
    )
    assert response.status_code == 302
    batch = BonusBatch.objects.get()
    assert batch.rows == [] and [p["row"] for p in batch.problems] == [2]
    page = client.get(response["Location"]).content.decode()
    assert "Row 2:" in page
    assert not BonusPayment.objects.exists()
    assert money_calls() == before


@pytest.mark.parametrize("amount", NOT_AMOUNTS + MORE_NOT_AMOUNTS)
def test_the_compensation_form_refuses_an_amount_that_is_none(
    amount, login, carol, mine, money_calls, local_account
):
    before = money_calls()
    response = login(carol).post(
        f"/workers/{mine[0].worker_id}/compensate/",
        {"amount": amount, "reason": "Our form broke"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Amount:" in response.content.decode()
    assert not Compensation.objects.exists()
    assert money_calls() == before


@pytest.mark.parametrize("amount", NOT_AMOUNTS + MORE_NOT_AMOUNTS)
def test_the_bonus_by_rule_form_refuses_an_amount_that_is_none(
    amount, login, carol, local_account, money_calls, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    batch = Batch.objects.create(
        project=make_project(local_account, carol),
        requester=local_account,
        name="b",
        status=BatchStatus.VALIDATED,
        row_count=1,
    )
    before = money_calls()
    response = login(carol).post(
        f"/review/batches/{batch.pk}/bonuses/",
        {"mode": "per_approved", "amount": amount, "reason": "Thanks"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Amount:" in response.content.decode()
    assert not BonusBatch.objects.exists()
    assert money_calls() == before


@pytest.mark.parametrize("amount", NOT_AMOUNTS + MORE_NOT_AMOUNTS)
def test_the_services_refuse_an_amount_that_is_none(amount, bob, carol, mine, local_account):
    """Below the forms, the services themselves (a task, a script) refuse it too."""
    with pytest.raises(ValidationError):
        services.bonus_send(
            membership=_membership(bob, local_account),
            actor=bob,
            worker_id=mine[0].worker_id,
            assignment_mturk_id=mine[0].mturk_id,
            amount=amount,
            reason="r",
        )
    if amount in NOT_AMOUNTS:  # as Decimals too ("1E+2" is a fine Decimal: 100)
        with pytest.raises(ValidationError):
            services.bonus_amount_clean(Decimal(amount))
    assert not BonusPayment.objects.exists()


def test_good_amounts_are_dollars_and_cents():
    clean = services.bonus_amount_clean
    assert [clean(v) for v in ("1", "$1.5", ".25", "0.01", "10000", " 2.50 ")] == [
        Decimal("1.00"),
        Decimal("1.50"),
        Decimal("0.25"),
        Decimal("0.01"),
        Decimal("10000.00"),
        Decimal("2.50"),
    ]
    assert str(clean(Decimal("1.100"))) == "1.10"


def _at_once(call, *, times: int) -> list:
    """Run `call` in `times` threads released together; each closes its DB connection."""
    barrier = threading.Barrier(times)
    outcomes: list = []

    def run():
        barrier.wait()
        try:
            outcomes.append(call())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == times
    return outcomes
