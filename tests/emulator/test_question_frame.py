"""An HTMLQuestion's frame is a URL of its own carrying MTurk's parameters (`/dynamic/hit?...`),
as mturkcontent.com's is on MTurk, and only the worker who may see it gets it."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from .conftest import create_hit, new_worker_id

MARKER = "<p id='marker'>Label the photo</p>"
QUESTION = (
    '<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
    f'2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[<!DOCTYPE html><html><head></head><body>'
    f'{MARKER}<form><input name="answer"></form></body></html>]]></HTMLContent>'
    "<FrameHeight>300</FrameHeight></HTMLQuestion>"
)


def worker_session(url: str) -> requests.Session:
    session = requests.Session()
    session.worker_id = new_worker_id()
    session.post(f"{url}/worker/identity", data={"worker_id": session.worker_id})
    return session


def frame_src(page: str) -> str:
    return html.unescape(re.search(r'<iframe class="question"[^>]* src="([^"]*)"', page).group(1))


def params_of(src: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(src).query).items()}


@pytest.fixture
def site(emulator_server) -> requests.Session:
    return worker_session(emulator_server.url)


def test_a_preview_frame_says_the_assignment_is_not_available(site, mturk, emulator_server):
    hit = create_hit(mturk, Question=QUESTION)
    page = site.get(f"{emulator_server.url}/worker/hits/{hit['HITId']}")
    src = frame_src(page.text)
    assert urlsplit(src).path == "/dynamic/hit"
    assert params_of(src) == {"assignmentId": "ASSIGNMENT_ID_NOT_AVAILABLE", "hitId": hit["HITId"]}
    frame = site.get(emulator_server.url + src)
    assert frame.status_code == 200
    assert MARKER in frame.text
    assert '"assignmentId": "ASSIGNMENT_ID_NOT_AVAILABLE"' in frame.text
    # Sandboxed even when opened on its own, outside the worker site's frame.
    assert frame.headers["Content-Security-Policy"] == (
        "sandbox allow-forms allow-scripts allow-popups allow-popups-to-escape-sandbox"
    )


def test_an_accepted_frame_carries_the_assignment_the_hit_the_worker_and_submit_to(
    site, mturk, emulator_server
):
    hit = create_hit(mturk, Question=QUESTION)
    accepted = site.post(f"{emulator_server.url}/worker/hits/{hit['HITId']}/accept")
    assignment_id = accepted.url.rsplit("/", 1)[1]
    src = frame_src(accepted.text)
    assert params_of(src) == {
        "assignmentId": assignment_id,
        "hitId": hit["HITId"],
        "workerId": site.worker_id,
        "turkSubmitTo": emulator_server.url,
    }
    frame = requests.get(emulator_server.url + src)  # the assignment id is what lets it in
    assert frame.status_code == 200 and MARKER in frame.text
    assert f'"workerId": "{site.worker_id}"' in frame.text


def test_the_frame_is_refused_to_whoever_may_not_see_it(site, mturk, emulator, emulator_server):
    hit = create_hit(mturk, Question=QUESTION, MaxAssignments=2)
    url = emulator_server.url + "/dynamic/hit"
    preview = {"assignmentId": "ASSIGNMENT_ID_NOT_AVAILABLE", "hitId": hit["HITId"]}
    assert requests.get(url, params=preview).status_code == 403  # no worker chosen
    assignment_id = emulator.accept(site.worker_id, hit["HITId"])
    mine = {"assignmentId": assignment_id, "hitId": hit["HITId"], "workerId": site.worker_id}
    someone_else = mine | {"workerId": new_worker_id()}
    refused = requests.get(url, params=someone_else)
    assert refused.status_code == 403 and MARKER not in refused.text
    emulator.submit(assignment_id, {"answer": "done"})
    assert requests.get(url, params=mine).status_code == 403  # no longer being worked on
    assert requests.get(url, params=preview | {"hitId": "NOSUCHHIT"}).status_code == 404

    qtype = mturk.create_qualification_type(
        Name=f"Eyes {new_worker_id()}", Description="x", QualificationTypeStatus="Active"
    )["QualificationType"]
    guarded = create_hit(
        mturk,
        Question=QUESTION,
        QualificationRequirements=[
            {
                "QualificationTypeId": qtype["QualificationTypeId"],
                "Comparator": "Exists",
                "ActionsGuarded": "PreviewAndAccept",
            }
        ],
    )
    hidden = site.get(url, params=preview | {"hitId": guarded["HITId"]})
    assert hidden.status_code == 403 and MARKER not in hidden.text
