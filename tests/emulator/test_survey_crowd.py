"""The simulated crowd in a survey-link study: it follows the HIT's link to the local MTurk's
survey, takes it, and types the survey's code into the HIT's code box (honestly with the
profile's accuracy)."""

from __future__ import annotations

import hashlib
import hmac
import json
from xml.etree import ElementTree

import pytest

from tests.fixtures.emulator import EmulatorControlError

from .conftest import create_hit

ANSWERS_NS = "{http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd}"


def study_html(url: str, *, box: str = "required", worker_param: str = "workerId") -> str:
    """The dashboard's study template: a crowd-form with the survey link and the code box."""
    required = " required" if box == "required" else ""
    return f"""<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
<p><a data-survey-link data-worker-param="{worker_param}" data-assignment-param="assignmentId"
   href="{url}" target="_blank" rel="noopener">Open the survey</a></p>
<crowd-input name="completion_code" data-completion-code label="Completion code"{required}>
</crowd-input>
</crowd-form>"""


def html_question(html: str) -> str:
    return (
        '<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
        f'2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[{html}]]></HTMLContent>'
        "<FrameHeight>600</FrameHeight></HTMLQuestion>"
    )


def study_hit(mturk, html: str, participants: int) -> dict:
    return create_hit(mturk, Question=html_question(html), MaxAssignments=participants)


def hmac_code(secret: str, worker_id: str) -> str:
    return hmac.new(secret.encode(), worker_id.encode(), hashlib.sha256).hexdigest()[:10].upper()


def answers_of(assignment: dict) -> dict[str, str]:
    root = ElementTree.fromstring(assignment["Answer"])
    answers = {
        answer.findtext(f"{ANSWERS_NS}QuestionIdentifier"): answer.findtext(f"{ANSWERS_NS}FreeText")
        for answer in root.iter(f"{ANSWERS_NS}Answer")
    }
    if "taskAnswers" in answers:
        return json.loads(answers["taskAnswers"])[0]
    return answers


def submitted_codes(mturk, hit_id: str) -> dict[str, tuple[str, str]]:
    """worker id -> (assignment id, the completion code the HIT received)."""
    found = mturk.list_assignments_for_hit(HITId=hit_id, MaxResults=100)["Assignments"]
    return {a["WorkerId"]: (a["AssignmentId"], answers_of(a)["completion_code"]) for a in found}


def work(emulator, hit: dict, count: int, **plan) -> dict:
    plan.setdefault("profile", "diligent")
    return emulator.crowd_work(HITIds=[hit["HITId"]], assignments=count, seed=7, **plan)


@pytest.mark.parametrize(
    ("mode", "settings"),
    [
        ("fixed", {"code": "THANKS2026"}),
        ("hmac", {"secret": "lab-secret"}),
        ("list", {"codes": ["K1", "K2", "K3", "K4"]}),
    ],
)
def test_honest_workers_type_the_code_the_survey_gave_them(mturk, emulator, mode, settings):
    survey = emulator.survey_create(mode, title="Sleep study", **settings)
    hit = study_hit(mturk, study_html(survey["Url"]), 3)
    result = work(emulator, hit, 3, accuracy=1.0)
    assert result["Submitted"] == 3
    assert {a["Survey"]["Behaviour"] for a in result["Actions"]} == {"honest"}
    codes = submitted_codes(mturk, hit["HITId"])
    responses = emulator.survey(survey["SurveyId"])["Responses"]
    assert {r["WorkerId"]: (r["AssignmentId"], r["Code"]) for r in responses} == codes
    for worker_id, (_, code) in codes.items():
        if mode == "fixed":
            assert code == "THANKS2026"
        elif mode == "hmac":
            assert code == hmac_code("lab-secret", worker_id)
    if mode == "list":
        assert sorted(code for _, code in codes.values()) == ["K1", "K2", "K3"]
    assert all(r["Answers"]["pet"] in {"Cats", "Dogs", "Neither"} for r in responses)
    assert all(1 <= r["Answers"]["clarity"] <= 5 for r in responses)


def test_the_survey_url_carries_the_ids_under_the_links_parameter_names(mturk, emulator):
    survey = emulator.survey_create(
        "hmac", secret="s", worker_param="PROLIFIC_PID", assignment_param="SESSION"
    )
    html = study_html(survey["Url"] + "?source=mturk", worker_param="PROLIFIC_PID").replace(
        'data-assignment-param="assignmentId"', 'data-assignment-param="SESSION"'
    )
    hit = study_hit(mturk, html, 1)
    action = work(emulator, hit, 1, accuracy=1.0)["Actions"][0]
    assert action["Survey"]["Url"] == (
        f"{survey['Url']}?source=mturk&PROLIFIC_PID={action['WorkerId']}"
        f"&SESSION={action['AssignmentId']}"
    )
    (response,) = emulator.survey(survey["SurveyId"])["Responses"]
    assert (response["WorkerId"], response["AssignmentId"]) == (
        action["WorkerId"],
        action["AssignmentId"],
    )
    assert submitted_codes(mturk, hit["HITId"])[action["WorkerId"]][1] == hmac_code(
        "s", action["WorkerId"]
    )


def test_a_link_naming_another_parameter_than_the_survey_reads_gets_no_code(mturk, emulator):
    survey = emulator.survey_create("fixed", code="RIGHT")
    hit = study_hit(mturk, study_html(survey["Url"], worker_param="MID"), 1)
    action = work(emulator, hit, 1, accuracy=1.0)["Actions"][0]
    assert action["Survey"]["Behaviour"] == "refused"
    assert emulator.survey(survey["SurveyId"])["Responses"] == []
    assert submitted_codes(mturk, hit["HITId"])[action["WorkerId"]][1] != "RIGHT"


def test_a_used_up_list_gives_the_late_workers_no_code(mturk, emulator):
    survey = emulator.survey_create("list", codes=["ONLY1", "ONLY2"])
    hit = study_hit(mturk, study_html(survey["Url"], box="optional"), 4)
    result = work(emulator, hit, 4, accuracy=1.0)
    behaviours = [a["Survey"]["Behaviour"] for a in result["Actions"]]
    assert behaviours == ["honest", "honest", "no-code", "no-code"]
    codes = sorted(code for _, code in submitted_codes(mturk, hit["HITId"]).values())
    assert codes == ["", "", "ONLY1", "ONLY2"]
    details = emulator.survey(survey["SurveyId"])
    assert details["CodesGiven"] == 2
    assert sorted(r["Code"] for r in details["Responses"]) == ["", "", "ONLY1", "ONLY2"]


def test_the_same_worker_in_two_studies_gets_the_same_list_code(mturk, emulator):
    survey = emulator.survey_create("list", codes=["L1", "L2", "L3"])
    first = study_hit(mturk, study_html(survey["Url"]), 1)
    second = study_hit(mturk, study_html(survey["Url"]), 1)
    one = work(emulator, first, 1, accuracy=1.0)["Actions"][0]
    two = work(emulator, second, 1, accuracy=1.0)["Actions"][0]
    assert one["WorkerId"] == two["WorkerId"]
    assert one["Survey"]["Code"] == two["Survey"]["Code"] == "L1"
    responses = emulator.survey(survey["SurveyId"])["Responses"]
    assert [r["AssignmentId"] for r in responses] == [one["AssignmentId"], two["AssignmentId"]]
    assert emulator.survey(survey["SurveyId"])["CodesGiven"] == 1


def test_careless_workers_make_up_or_copy_codes_at_the_profiles_rate(mturk, emulator):
    survey = emulator.survey_create("hmac", secret="careless")
    hit = study_hit(mturk, study_html(survey["Url"]), 40)
    result = work(emulator, hit, 40, profile="careless")
    assert result["Submitted"] == 40
    codes = submitted_codes(mturk, hit["HITId"])
    given = {r["WorkerId"]: r["Code"] for r in emulator.survey(survey["SurveyId"])["Responses"]}
    behaviours = {a["WorkerId"]: a["Survey"]["Behaviour"] for a in result["Actions"]}
    right = [w for w, (_, code) in codes.items() if code == hmac_code("careless", w)]
    # careless: accuracy 0.55, so about 22 of 40 are honest.
    assert 14 <= len(right) <= 30
    assert sorted(right) == sorted(w for w, b in behaviours.items() if b == "honest")
    assert sorted(given) == sorted(right)  # only the honest took the survey
    reused = [w for w, b in behaviours.items() if b == "reused"]
    made_up = [w for w, b in behaviours.items() if b == "made-up"]
    assert reused and made_up and len(reused) + len(made_up) + len(right) == 40
    for worker_id in reused:
        code = codes[worker_id][1]
        assert code != hmac_code("careless", worker_id)
        assert code in {c for w, c in given.items() if w != worker_id}
    for worker_id in made_up:
        assert codes[worker_id][1] not in set(given.values()) | {hmac_code("careless", worker_id)}
        assert len(codes[worker_id][1]) == 10
    # A required box is never left empty.
    assert all(code for _, code in codes.values())


def test_careless_workers_leave_an_optional_box_empty_sometimes(mturk, emulator):
    survey = emulator.survey_create("fixed", code="OPTIONAL")
    hit = study_hit(mturk, study_html(survey["Url"], box="optional"), 30)
    result = work(emulator, hit, 30, profile="spammer")
    behaviours = [a["Survey"]["Behaviour"] for a in result["Actions"]]
    assert "honest" not in behaviours  # spammers never take the survey
    codes = submitted_codes(mturk, hit["HITId"])
    empty = [w for w, (_, code) in codes.items() if code == ""]
    assert len(empty) == behaviours.count("nothing") > 0
    assert emulator.survey(survey["SurveyId"])["Responses"] == []


def test_the_same_seed_gives_the_same_behaviour(mturk, emulator):
    runs = []
    for _ in range(2):
        survey = emulator.survey_create("hmac", secret="seeded")
        hit = study_hit(mturk, study_html(survey["Url"]), 12)
        result = work(emulator, hit, 12, profile="average")
        runs.append([a["Survey"]["Behaviour"] for a in result["Actions"]])
    assert runs[0] == runs[1]
    assert "honest" in runs[0] and set(runs[0]) != {"honest"}


def test_a_link_to_another_site_is_not_followed(mturk, emulator):
    survey = emulator.survey_create("fixed", code="LOCAL")
    outside = survey["Url"].replace("127.0.0.1", "surveys.example.org")
    hit = study_hit(mturk, study_html(outside), 1)
    action = work(emulator, hit, 1, accuracy=1.0)["Actions"][0]
    assert "Survey" not in action
    code = submitted_codes(mturk, hit["HITId"])[action["WorkerId"]][1]
    assert code and code != "LOCAL"  # answered as any text box
    assert emulator.survey(survey["SurveyId"])["Responses"] == []


def test_a_plain_link_to_a_local_survey_and_a_plain_form_box_work_too(mturk, emulator):
    survey = emulator.survey_create("fixed", code="PLAIN")
    html = (
        '<!DOCTYPE html><html><body><form method="post" '
        'action="https://www.mturk.com/mturk/externalSubmit">'
        '<input type="hidden" name="assignmentId" value="">'
        f'<a href="{survey["Url"]}">the survey</a>'
        '<input type="text" name="completion_code"><input type="text" name="age">'
        '<input type="submit"></form></body></html>'
    )
    hit = study_hit(mturk, html, 1)
    action = work(emulator, hit, 1, accuracy=1.0)["Actions"][0]
    assert action["Survey"]["Behaviour"] == "honest"
    assignment = mturk.list_assignments_for_hit(HITId=hit["HITId"])["Assignments"][0]
    answers = answers_of(assignment)
    assert answers["completion_code"] == "PLAIN"
    assert answers["age"]  # the other fields are answered as before


def test_the_crowd_refuses_an_accuracy_out_of_range(emulator, mturk):
    hit = create_hit(mturk)
    with pytest.raises(EmulatorControlError) as raised:
        emulator.crowd_work(HITIds=[hit["HITId"]], accuracy=1.5)
    assert raised.value.status == 400
    assert "accuracy" in raised.value.payload["message"]
