"""The surveys the local MTurk serves (`/survey/...`) and their control API, over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import html
import re

import pytest
import requests

from tests.fixtures.emulator import CONTROL_TOKEN_HEADER, EmulatorControlError

HOSTILE = '<script>alert("x")</script>&'


def csrf_of(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def code_on(page: str) -> str | None:
    found = re.search(r'<strong id="completion-code">([^<]*)</strong>', page)
    return html.unescape(found.group(1)) if found else None


def take(url: str, worker_id: str, assignment_id: str, **answers) -> requests.Response:
    """A person's visit: open the survey, answer, send."""
    session = requests.Session()
    params = {"workerId": worker_id, "assignmentId": assignment_id}
    page = session.get(url, params=params)
    assert page.status_code == 200, page.text
    data = {"clarity": "4", "pet": "Cats", "comments": ""} | answers
    return session.post(page.url, data={"csrfmiddlewaretoken": csrf_of(page.text), **data})


def test_it_makes_a_survey_and_reads_back_its_settings(emulator, emulator_server):
    made = emulator.survey_create(
        "list", title="Memory", codes=[" A-1 ", "B-2", "A-1", ""], worker_param="PID"
    )
    assert re.fullmatch(r"[a-z0-9]{16}", made["SurveyId"])
    assert made["Url"] == f"{emulator_server.url}/survey/{made['SurveyId']}/"
    details = emulator.survey(made["SurveyId"])
    assert details["Title"] == "Memory"
    assert details["CodeMode"] == "list"
    assert details["Codes"] == ["A-1", "B-2"]
    assert (details["WorkerParam"], details["AssignmentParam"]) == ("PID", "assignmentId")
    assert [q["kind"] for q in details["Questions"]] == ["scale", "choice", "text"]
    assert details["Responses"] == []


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ({}, "CodeMode"),
        ({"CodeMode": "magic"}, "fixed, hmac, list"),
        ({"CodeMode": "fixed"}, "needs its code"),
        ({"CodeMode": "hmac"}, "needs its secret"),
        ({"CodeMode": "list", "Codes": [" "]}, "at least one code"),
        ({"CodeMode": "list", "Codes": "A,B"}, "list of strings"),
        ({"CodeMode": "fixed", "Code": "X", "WorkerParam": "a b"}, "not a URL parameter"),
        ({"CodeMode": "fixed", "Code": "X", "AssignmentParam": "workerId"}, "two parameters"),
        ({"CodeMode": "fixed", "Code": "X", "Colour": "red"}, "unknown keys: Colour"),
        ({"CodeMode": "fixed", "Code": "X", "Title": 3}, "Title must be a string"),
    ],
)
def test_it_refuses_bad_survey_settings(emulator, payload, says):
    with pytest.raises(EmulatorControlError) as raised:
        emulator.request("POST", "surveys", payload)
    assert raised.value.status == 400
    assert says in raised.value.payload["message"]


def test_an_unknown_survey_is_404(emulator):
    with pytest.raises(EmulatorControlError) as raised:
        emulator.survey("nosuchsurvey0000")
    assert raised.value.status == 404
    assert raised.value.payload["error"] == "SurveyDoesNotExist"


def test_the_control_api_for_surveys_needs_the_token(emulator, emulator_server):
    survey = emulator.survey_create("hmac", secret="do-not-leak")
    for method, path, body in [
        ("POST", "/_emulator/surveys", b'{"CodeMode": "fixed", "Code": "X"}'),
        ("GET", f"/_emulator/surveys/{survey['SurveyId']}", None),
    ]:
        for token in (None, "wrong"):
            headers = {"Content-Type": "application/json"}
            if token:
                headers[CONTROL_TOKEN_HEADER] = token
            answer = requests.request(
                method, emulator_server.url + path, data=body, headers=headers
            )
            assert answer.status_code == 403
            assert "do-not-leak" not in answer.text
    assert emulator.survey(survey["SurveyId"])["Responses"] == []


def test_a_visit_shows_the_questions_and_ends_with_the_hmac_code(emulator):
    survey = emulator.survey_create("hmac", secret="k3y", title="Reading time")
    answer = take(survey["Url"], "AW0RKER1", "ASSIGN1", clarity="2", pet="Neither")
    assert answer.status_code == 200
    assert "Your completion code" in answer.text
    expected = hmac.new(b"k3y", b"AW0RKER1", hashlib.sha256).hexdigest()[:10].upper()
    assert expected == "1290568C94"  # the example in docs/emulator.md
    assert code_on(answer.text) == expected
    (response,) = emulator.survey(survey["SurveyId"])["Responses"]
    assert response["WorkerId"] == "AW0RKER1"
    assert response["AssignmentId"] == "ASSIGN1"
    assert response["Code"] == expected
    assert response["Answers"] == {"clarity": 2, "pet": "Neither"}
    assert response["At"].endswith("Z")


def test_the_survey_reads_its_own_parameter_names(emulator):
    survey = emulator.survey_create("fixed", code="OWN", worker_param="PROLIFIC_PID")
    session = requests.Session()
    wrong = session.get(survey["Url"], params={"workerId": "AW1"})
    assert wrong.status_code == 400
    assert "PROLIFIC_PID" in wrong.text
    page = session.get(survey["Url"], params={"PROLIFIC_PID": "AW1", "assignmentId": "S9"})
    assert page.status_code == 200
    done = session.post(
        page.url,
        data={"csrfmiddlewaretoken": csrf_of(page.text), "clarity": "5", "pet": "Dogs"},
    )
    assert code_on(done.text) == "OWN"
    (response,) = emulator.survey(survey["SurveyId"])["Responses"]
    assert (response["WorkerId"], response["AssignmentId"]) == ("AW1", "S9")


def test_without_a_worker_id_the_survey_says_so_and_records_nothing(emulator):
    survey = emulator.survey_create("hmac", secret="s")
    session = requests.Session()
    token = csrf_of(session.get(survey["Url"], params={"workerId": "AW1"}).text)
    for method in ("GET", "POST"):
        answer = session.request(
            method,
            survey["Url"],
            params={"assignmentId": "A1"},
            data={"csrfmiddlewaretoken": token, "clarity": "3", "pet": "Cats"},
        )
        assert answer.status_code == 400
        assert "no worker id" in answer.text and "workerId" in answer.text
        assert 'id="completion-code"' not in answer.text
    preview = requests.get(
        survey["Url"], params={"workerId": "AW1", "assignmentId": "ASSIGNMENT_ID_NOT_AVAILABLE"}
    )
    assert preview.status_code == 400 and "accept the HIT" in preview.text
    assert emulator.survey(survey["SurveyId"])["Responses"] == []


def test_hostile_titles_and_answers_are_escaped(emulator):
    survey = emulator.survey_create("fixed", code="SAFE", title=HOSTILE)
    session = requests.Session()
    page = session.get(survey["Url"], params={"workerId": "AW1"})
    assert HOSTILE not in page.text
    assert html.escape(HOSTILE) in page.text
    # Missing answers: the form comes back with the text kept, escaped.
    again = session.post(
        page.url, data={"csrfmiddlewaretoken": csrf_of(page.text), "comments": HOSTILE}
    )
    assert again.status_code == 400
    assert "Please answer this question." in again.text
    assert HOSTILE not in again.text and html.escape(HOSTILE) in again.text
    assert emulator.survey(survey["SurveyId"])["Responses"] == []
    done = session.post(
        page.url,
        data={
            "csrfmiddlewaretoken": csrf_of(page.text),
            "clarity": "9",
            "pet": "<b>Lions</b>",
            "comments": HOSTILE,
        },
    )
    assert done.status_code == 400
    assert "Pick a number from 1 to 5." in done.text and "Pick one of the choices." in done.text
    ended = take(survey["Url"], "AW1", "", comments=HOSTILE)
    assert code_on(ended.text) == "SAFE" and HOSTILE not in ended.text
    (response,) = emulator.survey(survey["SurveyId"])["Responses"]
    assert response["Answers"]["comments"] == HOSTILE
    hostile_worker = take(survey["Url"], HOSTILE, "")
    assert HOSTILE not in hostile_worker.text


def test_a_post_without_the_csrf_token_is_refused(emulator):
    survey = emulator.survey_create("fixed", code="NOPE")
    answers = {"clarity": "3", "pet": "Cats"}
    url = survey["Url"] + "?workerId=AW1"
    bare = requests.post(url, data=answers)
    assert bare.status_code == 403 and "security token" in bare.text
    # Another site's page, even holding a token of its own visit.
    session = requests.Session()
    page = session.get(url)
    forged = session.post(
        url,
        data={"csrfmiddlewaretoken": csrf_of(page.text), **answers},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    assert code_on(bare.text) is None and code_on(forged.text) is None
    assert emulator.survey(survey["SurveyId"])["Responses"] == []


def test_a_list_gives_each_worker_one_code_again_and_again_then_runs_out(emulator):
    survey = emulator.survey_create("list", codes=["FIRST", "SECOND"])
    assert code_on(take(survey["Url"], "AW1", "X1").text) == "FIRST"
    assert code_on(take(survey["Url"], "AW2", "X2").text) == "SECOND"
    assert code_on(take(survey["Url"], "AW1", "X3").text) == "FIRST"
    late = take(survey["Url"], "AW3", "X4")
    assert late.status_code == 200
    assert code_on(late.text) is None
    assert "there is no code left for you" in late.text
    responses = emulator.survey(survey["SurveyId"])["Responses"]
    assert [(r["WorkerId"], r["AssignmentId"], r["Code"]) for r in responses] == [
        ("AW1", "X1", "FIRST"),
        ("AW2", "X2", "SECOND"),
        ("AW1", "X3", "FIRST"),
        ("AW3", "X4", ""),
    ]


def test_an_unknown_survey_page_is_a_404_page(emulator_server):
    answer = requests.get(f"{emulator_server.url}/survey/nosuchsurvey0000/?workerId=AW1")
    assert answer.status_code == 404
    assert "No such survey" in answer.text


def test_a_person_makes_a_test_survey_and_gets_its_url(emulator, emulator_server):
    session = requests.Session()
    form = session.get(f"{emulator_server.url}/survey/new/")
    assert form.status_code == 200 and 'name="code_mode"' in form.text
    made = session.post(
        f"{emulator_server.url}/survey/new/",
        data={
            "csrfmiddlewaretoken": csrf_of(form.text),
            "title": HOSTILE,
            "code_mode": "hmac",
            "secret": "typed-secret",
            "worker_param": "workerId",
            "assignment_param": "assignmentId",
        },
        allow_redirects=False,
    )
    assert made.status_code == 303
    key = re.search(r"created=([a-z0-9]+)", made.headers["Location"]).group(1)
    shown = session.get(emulator_server.url + made.headers["Location"])
    url = f"{emulator_server.url}/survey/{key}/"
    assert f'value="{url}"' in shown.text
    assert HOSTILE not in shown.text and html.escape(HOSTILE) in shown.text
    assert "typed-secret" not in shown.text
    details = emulator.survey(key)
    assert (details["CodeMode"], details["Secret"], details["Title"]) == (
        "hmac",
        "typed-secret",
        HOSTILE,
    )
    expected = hmac.new(b"typed-secret", b"AW7", hashlib.sha256).hexdigest()[:10].upper()
    assert code_on(take(url, "AW7", "").text) == expected


def test_the_new_survey_form_says_what_is_wrong_and_wants_its_token(emulator_server):
    session = requests.Session()
    form = session.get(f"{emulator_server.url}/survey/new/")
    wrong = session.post(
        f"{emulator_server.url}/survey/new/",
        data={"csrfmiddlewaretoken": csrf_of(form.text), "code_mode": "list", "codes": "\n \n"},
    )
    assert wrong.status_code == 400
    assert "a list survey needs at least one code" in wrong.text
    forged = requests.post(
        f"{emulator_server.url}/survey/new/", data={"code_mode": "fixed", "code": "X"}
    )
    assert forged.status_code == 403


def test_a_reset_forgets_the_surveys(emulator):
    survey = emulator.survey_create("fixed", code="GONE")
    emulator.reset()
    with pytest.raises(EmulatorControlError) as raised:
        emulator.survey(survey["SurveyId"])
    assert raised.value.status == 404
    assert requests.get(survey["Url"], params={"workerId": "AW1"}).status_code == 404
