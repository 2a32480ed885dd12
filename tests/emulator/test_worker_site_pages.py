"""The worker site's pages as a worker knows them from MTurk: HIT groups found by search and put
in order, page by page; the worker's dashboard of work and earnings; requestable qualifications
with their tests and retry delays; preview, accept and return; and the parameters an
ExternalQuestion's page is given before and after accepting."""

from __future__ import annotations

import html
import re
import uuid
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
import requests

from apps.emulator.templatetags.emulator_worker import duration

from .conftest import create_hit, new_worker_id


@pytest.fixture
def site(emulator_server):
    session = requests.Session()
    worker_id = new_worker_id()
    session.post(f"{emulator_server.url}/worker/identity", data={"worker_id": worker_id})
    session.url = emulator_server.url
    session.worker_id = worker_id
    return session


def tag() -> str:
    """A word only this test's HITs carry, so searches see only them."""
    return "zq" + uuid.uuid4().hex[:10]


def listed_titles(site, **query) -> list[str]:
    page = site.get(f"{site.url}/worker/hits", params=query).text
    return [html.unescape(t) for t in re.findall(r"<td><strong>([^<]*)</strong>", page)]


def external_question(url: str) -> str:
    return (
        '<ExternalQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
        f'2006-07-14/ExternalQuestion.xsd"><ExternalURL>{url}</ExternalURL>'
        "<FrameHeight>400</FrameHeight></ExternalQuestion>"
    )


def test_durations_read_as_mturk_shows_them():
    assert duration(259200) == "3 days"
    assert duration(5400) == "1 hour 30 minutes"
    assert duration(90061) == "1 day 1 hour"
    assert duration(60) == "1 minute"
    assert duration(45) == "45 seconds"
    assert duration(0) == "0 seconds"


def test_a_search_finds_groups_by_title_description_keywords_and_requester(site, mturk):
    word = tag()
    create_hit(mturk, Title=f"Transcribe receipts {word}")
    create_hit(mturk, Title="Describe a photo", Description=f"Photos {word} of streets")
    create_hit(mturk, Title="Tag birds", Keywords=f"birds, {word}")
    create_hit(mturk, Title=f"Unrelated {tag()}")

    assert sorted(listed_titles(site, q=word)) == [
        "Describe a photo",
        "Tag birds",
        f"Transcribe receipts {word}",
    ]
    # Every word must match, in any case.
    assert listed_titles(site, q=f"RECEIPTS {word}") == [f"Transcribe receipts {word}"]
    assert listed_titles(site, q=f"{word} nowhere") == []
    empty = site.get(f"{site.url}/worker/hits", params={"q": f"{word} nowhere"}).text
    assert "No HITs you can work on match your search." in empty


def test_groups_sort_by_reward_either_way_and_filter_by_lowest_reward(site, mturk):
    word = tag()
    for title, reward in [("Cheap", "0.05"), ("Dear", "2.00"), ("Middling", "0.40")]:
        create_hit(mturk, Title=f"{title} {word}", Reward=reward)

    assert listed_titles(site, q=word, sort="reward") == [
        f"Dear {word}",
        f"Middling {word}",
        f"Cheap {word}",
    ]
    assert listed_titles(site, q=word, sort="reward-low") == [
        f"Cheap {word}",
        f"Middling {word}",
        f"Dear {word}",
    ]
    assert listed_titles(site, q=word, sort="newest") == [
        f"Middling {word}",
        f"Dear {word}",
        f"Cheap {word}",
    ]
    assert listed_titles(site, q=word, sort="reward", min_reward="0.40") == [
        f"Dear {word}",
        f"Middling {word}",
    ]
    page = site.get(f"{site.url}/worker/hits", params={"q": word, "min_reward": "lots"}).text
    assert "is not an amount of dollars" in html.unescape(page)
    assert len(re.findall(r"<td><strong>", page)) == 3


def test_many_groups_come_twenty_to_a_page(site, mturk):
    word = tag()
    for n in range(23):
        create_hit(mturk, Title=f"Item {n:02d} {word}")

    first = site.get(f"{site.url}/worker/hits", params={"q": word, "sort": "title"}).text
    assert "23 HIT groups · showing 1 to 20" in html.unescape(first)
    assert "Page 1 of 2" in first
    next_link = html.unescape(re.search(r'href="([^"]*)" rel="next"', first).group(1))
    assert parse_qs(urlsplit(next_link).query) == {"q": [word], "sort": ["title"], "page": ["2"]}
    second = site.get(f"{site.url}/worker/hits{next_link}")
    assert [t.split()[1] for t in listed_titles(site, q=word, sort="title", page=2)] == [
        "20",
        "21",
        "22",
    ]
    assert "Page 2 of 2" in second.text and 'rel="next"' not in second.text


def test_the_dashboard_counts_work_and_adds_up_earnings(site, mturk, emulator):
    hits = [create_hit(mturk, Title=f"Dashboard {n}", Reward="0.25") for n in range(5)]
    assignments = [emulator.complete(site.worker_id, hit["HITId"]) for hit in hits[:4]]
    mturk.approve_assignment(AssignmentId=assignments[0])
    mturk.approve_assignment(AssignmentId=assignments[1])
    mturk.reject_assignment(AssignmentId=assignments[2], RequesterFeedback="Blank answer")
    mturk.send_bonus(
        WorkerId=site.worker_id,
        AssignmentId=assignments[0],
        BonusAmount="1.10",
        Reason="Careful work",
        UniqueRequestToken=uuid.uuid4().hex,
    )
    returned = emulator.accept(site.worker_id, hits[4]["HITId"])
    emulator.return_assignment(returned)
    emulator.accept(site.worker_id, create_hit(mturk, Title="Dashboard, working")["HITId"])

    page = site.get(f"{site.url}/worker/me").text

    def figure(attribute: str, key: str) -> str:
        match = re.search(rf'data-{attribute}="{key}"><strong>([^<]*)</strong>', page)
        return html.unescape(match.group(1))

    keys = ("accepted", "submitted", "approved", "rejected", "returned")
    assert [figure("count", k) for k in keys] == [
        "1",
        "1",
        "2",
        "1",
        "1",
    ]
    assert figure("count", "approval-rate") == "67%"
    assert figure("earnings", "approved") == "$0.50"
    assert figure("earnings", "bonuses") == "$1.10"
    assert figure("earnings", "paid") == "$1.60"
    assert figure("earnings", "pending") == "$0.25"
    assert "Careful work" in page and "Blank answer" in page


def test_a_new_worker_has_no_approval_rate_yet(site):
    page = site.get(f"{site.url}/worker/me").text
    assert re.search(r'data-count="approval-rate"><strong>—</strong>', page)
    assert "No bonuses yet." in page and "No work yet." in page


def test_requestable_qualifications_show_their_test_and_retry_delay(site, mturk):
    word = tag()
    mturk.create_qualification_type(
        Name=f"Once only {word}",
        Description="Asked for once",
        QualificationTypeStatus="Active",
    )
    mturk.create_qualification_type(
        Name=f"Daily retry {word}",
        Description="Asked again after a day",
        QualificationTypeStatus="Active",
        RetryDelayInSeconds=86400,
        Test=(
            '<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
            '2017-11-06/QuestionForm.xsd"><Question><QuestionIdentifier>q1</QuestionIdentifier>'
            "<QuestionContent><Text>Two and two?</Text></QuestionContent><AnswerSpecification>"
            "<FreeTextAnswer/></AnswerSpecification></Question></QuestionForm>"
        ),
        TestDurationInSeconds=1800,
    )
    page = html.unescape(site.get(f"{site.url}/worker/qualifications").text)
    once = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*Once only {word}(?:(?!</tr>).)*</tr>", page, re.S)
    daily = re.search(
        rf"<tr[^>]*>(?:(?!</tr>).)*Daily retry {word}(?:(?!</tr>).)*</tr>", page, re.S
    )
    assert "once only" in once.group(0) and "the requester decides" in once.group(0)
    assert "after 1 day" in daily.group(0)
    assert "test (30 minutes to finish)" in daily.group(0)
    assert "Take the test" in daily.group(0)


def test_preview_accept_and_return_put_the_hit_back(site, mturk):
    hit = create_hit(mturk, Title="Preview then return", MaxAssignments=1)
    preview = site.get(f"{site.url}/worker/hits/{hit['HITId']}").text
    assert "Preview: accept the HIT to work on it." in preview
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["NumberOfAssignmentsAvailable"] == 1

    accepted = site.post(f"{site.url}/worker/hits/{hit['HITId']}/accept", allow_redirects=False)
    work_url = accepted.headers["Location"]
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["NumberOfAssignmentsPending"] == 1
    assert "Return" in site.get(site.url + work_url).text

    returned = site.post(f"{site.url}{work_url}/return", allow_redirects=False)
    assert unquote_plus(returned.headers["Location"]) == "/worker/hits?notice=You returned the HIT."
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["NumberOfAssignmentsAvailable"] == 1
    history = site.get(f"{site.url}/worker/me").text
    assert re.search(r'<tr data-status="Returned"><td>Preview then return</td>', history)
    # The returned HIT is offered again, to this worker too.
    assert "Preview then return" in "".join(listed_titles(site, q="Preview then return"))


def test_an_external_question_is_told_when_it_is_only_previewed(site, mturk):
    """ "When the HIT is being previewed, the URL will have a special value for the assignmentId:
    ASSIGNMENT_ID_NOT_AVAILABLE." After accepting: "assignmentId, hitId, turkSubmitTo, and
    workerId", other parameters of ExternalURL kept."""
    hit = create_hit(
        mturk, Question=external_question("https://survey.example.com/s?study=7&amp;arm=b")
    )

    def frame_params(page: str) -> dict:
        src = html.unescape(
            re.search(r'<iframe class="question"[^>]* src="([^"]*)"', page).group(1)
        )
        parts = urlsplit(src)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://survey.example.com/s"
        return {key: values[0] for key, values in parse_qs(parts.query).items()}

    preview = frame_params(site.get(f"{site.url}/worker/hits/{hit['HITId']}").text)
    assert preview == {
        "study": "7",
        "arm": "b",
        "assignmentId": "ASSIGNMENT_ID_NOT_AVAILABLE",
        "hitId": hit["HITId"],
    }

    work_url = site.post(
        f"{site.url}/worker/hits/{hit['HITId']}/accept", allow_redirects=False
    ).headers["Location"]
    working = frame_params(site.get(site.url + work_url).text)
    assert working == {
        "study": "7",
        "arm": "b",
        "assignmentId": work_url.rsplit("/", 1)[1],
        "hitId": hit["HITId"],
        "turkSubmitTo": site.url,
        "workerId": site.worker_id,
    }
