"""A review card as a person reads it: the worker id links to the worker's page, a hostile answer
is text, the "save" box says what it saves, and a decided card shrinks to one line."""

from __future__ import annotations

import re

import pytest

from apps.hits.models import Assignment
from apps.review.models import FeedbackReason
from apps.sync.services import requester_sync
from tests.helpers import create_hit, work

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = '<script>alert("x")</script><a href="javascript:alert(1)">click</a>'


@pytest.fixture
def hostile(local_account, account_mturk, emulator) -> Assignment:
    hit = create_hit(account_mturk, MaxAssignments=2)
    assignment_id, _ = work(emulator, hit["HITId"], {"label": HOSTILE})
    work(emulator, hit["HITId"], {"label": "cat"})
    requester_sync(requester=local_account)
    return Assignment.objects.get(mturk_id=assignment_id)


def _card(page: str, assignment: Assignment) -> str:
    start = page.index(f'id="assignment-{assignment.pk}"')
    return page[start : page.index("</article>", start)]


def test_it_links_the_worker_id_to_the_workers_page_and_shows_a_hostile_answer_as_text(
    login, bob, hostile
):
    page = login(bob).get("/review/").content.decode()
    card = _card(page, hostile)

    assert (
        f'Worker <a href="/workers/{hostile.worker_id}/" data-worker-link>'
        f"<code>{hostile.worker_id}</code></a>"
    ) in card
    assert HOSTILE not in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in card
    assert 'href="javascript:' not in page


def test_the_worker_link_leads_to_that_workers_page(login, bob, hostile):
    client = login(bob)
    card = _card(client.get("/review/").content.decode(), hostile)
    href = re.search(r'<a href="([^"]+)" data-worker-link>', card).group(1)
    worker_page = client.get(href)
    assert worker_page.status_code == 200
    assert hostile.worker_id in worker_page.content.decode()


def test_the_save_box_says_it_keeps_the_feedback_as_a_saved_reason(login, bob, hostile):
    client = login(bob)
    card = _card(client.get("/review/").content.decode(), hostile)
    assert (
        '<input type="checkbox" name="save_reason" value="1"> '
        "Save this feedback to the saved reasons</label>"
    ) in card

    client.post(
        f"/review/{hostile.pk}/reject/",
        {"feedback": "The label is not a word", "save_reason": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert list(FeedbackReason.objects.values_list("text", flat=True)) == [
        "The label is not a word"
    ]
    page = client.get("/review/").content.decode()
    assert '<option value="The label is not a word">The label is not a word</option>' in page


def test_a_decided_card_is_one_line_with_its_body_folded_and_no_fading_notice(login, bob, hostile):
    body = (
        login(bob)
        .post(
            f"/review/{hostile.pk}/reject/",
            {"feedback": "Not a label <b>at all</b>"},
            HTTP_HX_REQUEST="true",
        )
        .content.decode()
    )
    assert body.lstrip().startswith(
        f'<article class="card assignment" id="assignment-{hostile.pk}"'
    )
    assert "data-decided" in body
    summary = re.search(r"<summary>(.*?)</summary>", body, re.S).group(1)
    assert '<span class="badge status-rejected">Rejected</span>' in summary
    assert '<strong role="status" data-notice>Rejected.</strong>' in summary
    assert f'<a href="/workers/{hostile.worker_id}/" data-worker-link>' in summary
    assert "“Not a label &lt;b&gt;at all&lt;/b&gt;”" in summary
    assert "\n" not in summary.strip()
    # The answer and the actions are folded under the line, closed.
    assert "<details>" in body and "<details open" not in body
    assert body.index("<summary>") < body.index("<h3>Answer</h3>")
    # Not a message that fades away after a while and leaves its room empty.
    assert 'class="message' not in body
    assert Assignment.objects.get(pk=hostile.pk).status == "Rejected"


def test_a_refused_decision_keeps_the_whole_card_with_the_error(login, bob, hostile):
    body = (
        login(bob)
        .post(f"/review/{hostile.pk}/reject/", {"feedback": ""}, HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "data-decided" not in body and "<summary>" not in body.split("<h3>Answer")[0]
    assert '<p class="error" role="alert">Say why: workers see this feedback.</p>' in body
    assert 'class="message' not in body


def test_a_bonus_paid_keeps_the_card_open_for_its_decision(login, bob, hostile):
    body = (
        login(bob)
        .post(
            f"/review/{hostile.pk}/bonus/",
            {"amount": "0.25", "reason": "Thanks", "token": "n1"},
            HTTP_HX_REQUEST="true",
        )
        .content.decode()
    )
    assert '<p class="meta" role="status" data-notice><strong>Bonus of $0.25 paid.</strong>' in body
    assert "data-decided" not in body
    assert 'data-key="a"' in body and 'data-key="r"' in body
    assert "$0.25 in bonuses on this assignment." in body
