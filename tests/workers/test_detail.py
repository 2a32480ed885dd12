"""The worker page as a person reads it, in each state a worker can be in, built with the real
views and services against the local MTurk."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.workers.models import WorkerBlock
from tests.workers.pages import read

pytestmark = pytest.mark.django_db(transaction=True)

BLOCK_HELP = "A block is a hard block"


def _blocked_badge(page) -> bool:
    return "blocked" in [b.lower() for b in page.badges]


def test_it_offers_block_to_a_never_blocked_worker(login, carol, workers):
    page = read(login(carol).get(f"/workers/{workers[0]}/"))
    assert not _blocked_badge(page)
    assert "Blocked from this account's HITs" not in page.text
    assert page.form_to(f"/workers/{workers[0]}/block/").buttons == ["Block"]
    assert page.form_to(f"/workers/{workers[0]}/unblock/") is None
    assert "Unblock" not in page.buttons()
    assert BLOCK_HELP in page.text


def test_it_shows_a_block_made_on_the_page_then_offers_block_again_once_unblocked(
    login, carol, workers, account_mturk, local_account
):
    client = login(carol)
    worker = workers[0]
    response = client.post(
        f"/workers/{worker}/block/", {"reason": "Copy-pasted answers"}, follow=True
    )
    page = read(response)
    assert f"{worker} is blocked from this account's HITs." in page.text
    assert [b["WorkerId"] for b in account_mturk.list_worker_blocks()["WorkerBlocks"]] == [worker]
    assert _blocked_badge(page)
    block = WorkerBlock.objects.get(requester=local_account, worker_id=worker)
    assert (
        f"Blocked from this account's HITs since {block.blocked_at:%Y-%m-%d %H:%M} UTC."
        " Reason given to MTurk: Copy-pasted answers" in page.text
    )
    assert page.form_to(f"/workers/{worker}/unblock/").buttons == ["Unblock"]
    assert page.form_to(f"/workers/{worker}/block/") is None
    assert "Block" not in page.buttons()
    # The other workers are untouched.
    assert not _blocked_badge(read(client.get(f"/workers/{workers[1]}/")))

    page = read(client.post(f"/workers/{worker}/unblock/", {"reason": "Appealed"}, follow=True))
    assert f"{worker} is no longer blocked." in page.text
    assert account_mturk.list_worker_blocks()["WorkerBlocks"] == []
    assert not _blocked_badge(page)
    assert "Blocked from this account's HITs" not in page.text
    assert page.form_to(f"/workers/{worker}/block/").buttons == ["Block"]
    assert page.form_to(f"/workers/{worker}/unblock/") is None
    assert list(AuditEvent.objects.values_list("action", flat=True).order_by("id")) == [
        "worker.block",
        "worker.unblock",
    ]


def test_a_block_found_by_reconciliation_is_shown_with_the_date_it_was_found(
    login, carol, workers, account_mturk, local_account
):
    from apps.sync.services import requester_sync

    account_mturk.create_worker_block(WorkerId=workers[2], Reason="Blocked on MTurk's site")
    requester_sync(requester=local_account)
    block = WorkerBlock.objects.get(requester=local_account, worker_id=workers[2])
    assert block.blocked_at is not None
    page = read(login(carol).get(f"/workers/{workers[2]}/"))
    assert _blocked_badge(page)
    assert "Reason given to MTurk: Blocked on MTurk's site" in page.text
    assert page.form_to(f"/workers/{workers[2]}/unblock/").buttons == ["Unblock"]


def test_a_viewer_sees_no_form_they_cannot_use(login, carol, victor, workers):
    login(carol).post(f"/workers/{workers[0]}/block/", {"reason": "Spam"})
    for worker in workers[:2]:  # blocked, and never blocked
        page = read(login(victor).get(f"/workers/{worker}/"))
        assert all("/workers/" not in f.action for f in page.forms)
        for label in ("Block", "Unblock", "Send", "Grant", "Revoke", "Make a compensation HIT"):
            assert label not in page.buttons()
        assert "Your role lets you look, not act." in page.text
    assert _blocked_badge(read(login(victor).get(f"/workers/{workers[0]}/")))
    assert login(victor).post(f"/workers/{workers[1]}/block/", {"reason": "x"}).status_code == 403
    assert login(victor).post(f"/workers/{workers[0]}/unblock/").status_code == 403


def test_a_reviewer_sees_no_block_message_score_or_compensation_form(login, bob, workers):
    page = read(login(bob).get(f"/workers/{workers[0]}/"))
    assert all("/workers/" not in f.action for f in page.forms)
    assert "Your role lets you look, not act." in page.text


def test_a_hostile_block_reason_and_message_subject_are_shown_as_text(
    login, carol, workers, account_mturk
):
    hostile = '<script>alert("x")</script><b>bold</b>'
    client = login(carol)
    client.post(f"/workers/{workers[0]}/block/", {"reason": hostile})
    for hit in account_mturk.list_hits()["HITs"]:
        for a in account_mturk.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"]:
            account_mturk.approve_assignment(AssignmentId=a["AssignmentId"])
    client.post(f"/workers/{workers[0]}/message/", {"subject": hostile, "text": hostile})
    html = client.get(f"/workers/{workers[0]}/").content.decode()
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html
    page = read(html)
    assert f"Reason given to MTurk: {hostile}" in page.text
    assert f": {hostile}" in page.text  # the message, in the list of messages


def test_another_accounts_worker_is_404(login, charlie, workers):
    assert login(charlie).get(f"/workers/{workers[0]}/").status_code == 404


def test_unblocking_a_worker_who_is_not_blocked_changes_and_records_nothing(
    login, carol, workers, emulator, local_account
):
    page = read(login(carol).post(f"/workers/{workers[0]}/unblock/", follow=True))
    assert f"{workers[0]} is not blocked by this account." in page.text
    assert page.form_to(f"/workers/{workers[0]}/block/").buttons == ["Block"]
    calls = emulator.stats()["customers"][local_account.access_key_id]
    assert "DeleteWorkerBlock" not in calls
    assert not AuditEvent.objects.filter(action="worker.unblock").exists()


def test_a_compensation_is_confirmed_with_its_amount_in_dollars_and_cents(login, carol, workers):
    page = read(
        login(carol).post(
            f"/workers/{workers[0]}/compensate/",
            {"amount": "2", "reason": "Our form broke"},
            follow=True,
        )
    )
    assert f"of $2.00 made: only {workers[0]} can see it; MTurk pays on submission." in page.text
