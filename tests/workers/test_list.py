"""The workers list as a person reads it: what an empty filter says, and what each role sees."""

from __future__ import annotations

import pytest

from apps.hits.models import Assignment
from apps.review.bonuses import services as bonus_services
from apps.review.decisions import services as decision_services
from apps.workers import services
from tests.workers.conftest import membership_of
from tests.workers.pages import read

pytestmark = pytest.mark.django_db(transaction=True)


def test_blocked_yes_with_nobody_blocked_says_so(login, victor, workers):
    page = read(login(victor).get("/workers/?blocked=yes"))
    assert "No worker of this account is blocked." in page.text
    assert not any(w in page.text for w in workers)


def test_it_lists_only_the_blocked_once_someone_is(login, carol, workers):
    services.worker_block(
        membership=membership_of(carol), actor=carol, worker_id=workers[1], reason="Spam"
    )
    page = read(login(carol).get("/workers/?blocked=yes"))
    assert workers[1] in page.text
    assert workers[0] not in page.text and workers[2] not in page.text
    assert "No worker of this account is blocked." not in page.text
    assert page.badges.count("blocked") == 1


def test_other_empty_filters_say_what_was_searched(login, victor, workers):
    client = login(victor)
    page = read(client.get("/workers/?q=ZZZ<i>&blocked=no&min_rejected=2"))
    assert (
        "No worker of this account matches: a worker id containing \u201cZZZ<i>\u201d,"
        " not blocked, at least 2 rejected." in page.text
    )
    assert "<i>" not in client.get("/workers/?q=ZZZ<i>").content.decode().split("<tbody>")[1]
    page = read(client.get("/workers/?min_rejected=1"))
    assert "No worker of this account matches: at least 1 rejected." in page.text


def test_an_account_without_workers_says_none_submitted(login, victor, local_account):
    page = read(login(victor).get("/workers/"))
    assert "No worker has submitted work to this account yet." in page.text


def test_the_htmx_rows_say_the_same(login, victor, workers):
    response = login(victor).get("/workers/?blocked=yes", HTTP_HX_REQUEST="true")
    assert "No worker of this account is blocked." in read(response).text


def test_a_viewer_sees_the_download_but_no_upload_or_message_link(login, victor, workers):
    page = read(login(victor).get("/workers/"))
    assert "Download CSV" in page.link_texts()
    assert "Upload changes" not in page.link_texts()
    assert "Message workers" not in page.link_texts()
    assert not any(href.startswith("/workers/import") for _, href in page.links)
    assert login(victor).get("/workers/import/").status_code == 403


def test_a_manager_sees_the_upload_link(login, carol, workers):
    page = read(login(carol).get("/workers/"))
    assert ("Upload changes", "/workers/import/") in page.links


def test_amounts_have_two_decimals(login, carol, workers):
    assignment = Assignment.objects.select_related("hit").get(worker_id=workers[0])
    decision_services.assignment_approve(
        membership=membership_of(carol), assignment=assignment, actor=carol
    )
    bonus_services.bonus_send(
        membership=membership_of(carol),
        actor=carol,
        worker_id=workers[0],
        assignment_mturk_id=assignment.mturk_id,
        amount="1.5",
        reason="Careful work.",
        form_nonce="list-bonus-1",
        hit_mturk_id=assignment.hit.mturk_id,
    )
    page = read(login(carol).get("/workers/?sort=earned"))
    text = page.text
    assert "$0.50" in text and "$1.50" in text and "$0.00" in text
    detail = read(login(carol).get(f"/workers/{workers[0]}/"))
    assert "$1.50 paid + $0.30 MTurk fee = $1.80" in detail.text
