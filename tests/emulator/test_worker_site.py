"""The worker site over plain HTTP: identity, the rules of accepting, abandonment at the deadline,
the worker's own page."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

import pytest
import requests

from .conftest import create_hit, new_worker_id


@pytest.fixture
def site(emulator_server):
    session = requests.Session()
    worker_id = new_worker_id()
    session.post(f"{emulator_server.url}/worker/identity", data={"worker_id": worker_id})
    session.url = emulator_server.url
    session.worker_id = worker_id
    return session


def notice_of(response) -> str:
    match = re.search(r"notice=([^&]*)", response.headers.get("Location", ""))
    return unquote_plus(match.group(1)) if match else ""


def accept(site, hit_id: str):
    return site.post(f"{site.url}/worker/hits/{hit_id}/accept", allow_redirects=False)


def test_without_a_worker_the_site_asks_who_is_working(emulator_server):
    page = requests.get(f"{emulator_server.url}/worker/hits", allow_redirects=False)
    assert page.status_code == 302 and page.headers["Location"] == "/worker/"
    new = requests.Session()
    made = new.post(f"{emulator_server.url}/worker/identity", data={"new": "1"})
    assert made.status_code == 200
    assert re.fullmatch(r"A[A-Z0-9]+", new.cookies["emulator_worker"])
    listed = requests.get(f"{emulator_server.url}/worker/")
    assert new.cookies["emulator_worker"] in listed.text


def test_one_assignment_per_worker_and_blocks_are_enforced(site, mturk):
    hit = create_hit(mturk, Title="Only once", MaxAssignments=2)
    assert accept(site, hit["HITId"]).headers["Location"].startswith("/worker/assignments/")
    again = accept(site, hit["HITId"])
    assert "already worked" in notice_of(again)
    other = create_hit(mturk, Title="Blocked")
    mturk.create_worker_block(WorkerId=site.worker_id, Reason="spam")
    assert "blocked" in notice_of(accept(site, other["HITId"]))


def test_the_hit_list_shows_the_group_details(site, mturk):
    qtype = mturk.create_qualification_type(
        Name="Good eyes", Description="x", QualificationTypeStatus="Active"
    )["QualificationType"]
    create_hit(
        mturk,
        Title="Listed group",
        Reward="0.75",
        MaxAssignments=3,
        QualificationRequirements=[
            {
                "QualificationTypeId": qtype["QualificationTypeId"],
                "Comparator": "GreaterThan",
                "IntegerValues": [3],
                "ActionsGuarded": "Accept",
            }
        ],
    )
    page = site.get(f"{site.url}/worker/hits").text
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*Listed group(?:(?!</tr>).)*</tr>", page, re.S)
    assert row, page
    text = row.group(0)
    assert "$0.75" in text and "10 minutes" in text and "Good eyes GreaterThan 3" in text
    assert re.search(r"<td>3</td>", text)


def test_an_assignment_is_abandoned_at_its_deadline(site, mturk, emulator):
    hit = create_hit(mturk, Title="Too slow", AssignmentDurationInSeconds=60)
    work_url = accept(site, hit["HITId"]).headers["Location"]
    page = site.get(site.url + work_url)
    assert re.search(r'data-seconds-left="(59|60)"', page.text)
    emulator.advance(61)
    late = site.get(site.url + work_url, allow_redirects=False)
    assert "Abandoned" in notice_of(late)
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["NumberOfAssignmentsAvailable"] == 1


def test_the_workers_page_shows_qualifications_blocks_and_history(site, mturk, emulator):
    qtype = mturk.create_qualification_type(
        Name="Shown on my page", Description="x", QualificationTypeStatus="Active"
    )["QualificationType"]
    hit = create_hit(mturk, Title="In my history")
    emulator.complete(site.worker_id, hit["HITId"])
    mturk.associate_qualification_with_worker(
        QualificationTypeId=qtype["QualificationTypeId"], WorkerId=site.worker_id, IntegerValue=9
    )
    mturk.create_worker_block(WorkerId=site.worker_id, Reason="too fast")
    page = site.get(f"{site.url}/worker/me").text
    assert "Shown on my page" in page and "<td>9</td>" in page
    assert "too fast" in page
    assert "In my history" in page and "Submitted" in page
