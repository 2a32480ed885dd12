"""The simulated crowd answers from the question itself, deterministically per seed."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.emulator import EmulatorControlError

from .conftest import EXTERNAL_QUESTION, QUESTION_FORM_NS, create_hit

HTML_FORM = """<!DOCTYPE html><html><body>
<form name="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" name="assignmentId" value="">
<input type="hidden" name="batch" value="b7">
<input type="text" name="caption">
<textarea name="comment"></textarea>
<input type="radio" name="animal" value="cat"><input type="radio" name="animal" value="dog">
<input type="checkbox" name="tags" value="cute"><input type="checkbox" name="tags" value="blurry">
<select name="size"><option value="small">S</option><option value="large">L</option></select>
<input type="submit"></form></body></html>"""

CROWD_FORM = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form answer-format="flatten-objects">
<crowd-classifier name="category" categories="['Cat', 'Dog', 'Bird']" header="What is it?">
</crowd-classifier>
<crowd-input name="note" label="Note"></crowd-input>
</crowd-form>"""


def html_question(html: str) -> str:
    return (
        '<HTMLQuestion xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/'
        f'2011-11-11/HTMLQuestion.xsd"><HTMLContent><![CDATA[{html}]]></HTMLContent>'
        "<FrameHeight>0</FrameHeight></HTMLQuestion>"
    )


SELECTION_FORM = (
    f'<QuestionForm xmlns="{QUESTION_FORM_NS}"><Question><QuestionIdentifier>color'
    "</QuestionIdentifier><QuestionContent><Text>Which color?</Text></QuestionContent>"
    "<AnswerSpecification><SelectionAnswer><StyleSuggestion>radiobutton</StyleSuggestion>"
    "<Selections><Selection><SelectionIdentifier>red</SelectionIdentifier><Text>Red</Text>"
    "</Selection><Selection><SelectionIdentifier>blue</SelectionIdentifier><Text>Blue</Text>"
    "</Selection></Selections></SelectionAnswer></AnswerSpecification></Question>"
    "<Question><QuestionIdentifier>count</QuestionIdentifier><QuestionContent><Text>How many?"
    "</Text></QuestionContent><AnswerSpecification><FreeTextAnswer><Constraints>"
    '<IsNumeric minValue="1" maxValue="5"/></Constraints></FreeTextAnswer>'
    "</AnswerSpecification></Question></QuestionForm>"
)


def answer_of(mturk, assignment_id: str) -> str:
    return mturk.get_assignment(AssignmentId=assignment_id)["Assignment"]["Answer"]


def test_it_answers_an_html_form_with_the_options_it_offers(mturk, emulator):
    hit = create_hit(mturk, Question=html_question(HTML_FORM), MaxAssignments=3)
    done = emulator.crowd_work(HITIds=[hit["HITId"]], assignments=3, profile="average", seed=1)
    assert done["Submitted"] == 3
    for action in done["Actions"]:
        answers = action["Answers"]
        assert answers["animal"][0] in {"cat", "dog"}
        assert set(answers["tags"]) <= {"cute", "blurry"}
        assert answers["size"][0] in {"small", "large"}
        assert answers["caption"] and answers["comment"]
        xml = answer_of(mturk, action["AssignmentId"])
        assert "<QuestionIdentifier>batch</QuestionIdentifier><FreeText>b7</FreeText>" in xml
        assert "assignmentId" not in xml
    workers = {action["WorkerId"] for action in done["Actions"]}
    assert len(workers) == 3 and all(w.startswith("ACROWDAVE") for w in workers)


def test_the_same_seed_gives_the_same_answers(mturk, emulator):
    def run(seed):
        hit = create_hit(mturk, Question=html_question(HTML_FORM), MaxAssignments=4)
        done = emulator.crowd_work(
            HITIds=[hit["HITId"]], assignments=4, profile="careless", seed=seed
        )
        return [(a["Answers"], a["WorkSeconds"]) for a in done["Actions"]]

    first = run(42)
    assert run(42) == first
    assert run(43) != first


def test_accuracy_is_measured_against_the_truth(mturk, emulator):
    hits = [create_hit(mturk, Question=SELECTION_FORM, MaxAssignments=10) for _ in range(2)]
    for hit in hits:
        emulator.crowd_truth(hit["HITId"], {"color": "blue", "count": "3"})
    diligent = emulator.crowd_work(
        HITIds=[hits[0]["HITId"]], assignments=10, profile="diligent", seed=5
    )
    spammers = emulator.crowd_work(
        HITIds=[hits[1]["HITId"]], assignments=10, profile="spammer", seed=5
    )

    def right(done):
        return sum(a["Answers"]["color"] == ["blue"] for a in done["Actions"])

    assert right(diligent) >= 8
    assert right(spammers) < right(diligent)
    xml = answer_of(mturk, diligent["Actions"][0]["AssignmentId"])
    assert "<SelectionIdentifier>" in xml
    for action in spammers["Actions"] + diligent["Actions"]:
        assert action["Answers"]["color"][0] in {"red", "blue"}


def test_unset_truth_is_drawn_from_the_options_deterministically(mturk, emulator):
    hits = [create_hit(mturk, Question=SELECTION_FORM, MaxAssignments=5) for _ in range(2)]
    runs = [
        emulator.crowd_work(HITIds=[hit["HITId"]], assignments=5, profile="diligent", seed=9)
        for hit in hits
    ]
    assert [a["Answers"] for a in runs[0]["Actions"]] == [a["Answers"] for a in runs[1]["Actions"]]
    counts = [int(a["Answers"]["count"][0]) for a in runs[0]["Actions"]]
    assert all(1 <= c <= 5 for c in counts)


def test_crowd_form_templates_answer_with_task_answers(mturk, emulator):
    hit = create_hit(mturk, Question=html_question(CROWD_FORM))
    done = emulator.crowd_work(HITIds=[hit["HITId"]], assignments=1, profile="diligent", seed=2)
    xml = answer_of(mturk, done["Actions"][0]["AssignmentId"])
    start = xml.index("<FreeText>") + len("<FreeText>")
    payload = xml[start : xml.index("</FreeText>")].replace("&quot;", '"')
    task = json.loads(payload)[0]
    assert task["category"]["label"] in {"Cat", "Dog", "Bird"}
    assert isinstance(task["note"], str) and task["note"]
    assert "<QuestionIdentifier>taskAnswers</QuestionIdentifier>" in xml


def test_external_questions_answer_the_fields_given(mturk, emulator):
    hit = create_hit(mturk, Question=EXTERNAL_QUESTION)
    done = emulator.crowd_work(
        HITIds=[hit["HITId"]],
        assignments=1,
        profile="diligent",
        seed=3,
        fields={"label": ["yes", "no"], "why": []},
    )
    answers = done["Actions"][0]["Answers"]
    assert answers["label"][0] in {"yes", "no"} and answers["why"]


def test_workers_return_and_abandon_when_asked(mturk, emulator):
    hit = create_hit(mturk, MaxAssignments=2)
    returned = emulator.crowd_work(
        HITIds=[hit["HITId"]], assignments=2, profile="average", return_rate=1.0, seed=1
    )
    assert returned["Returned"] == 2
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["NumberOfAssignmentsAvailable"] == 2
    abandoning = emulator.crowd_work(
        HITIds=[hit["HITId"]], assignments=2, profile="average", abandon_rate=1.0, seed=1
    )
    assert abandoning["Abandoned"] == 2
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["NumberOfAssignmentsPending"] == 2
    emulator.advance(601)
    assert mturk.get_hit(HITId=hit["HITId"])["HIT"]["NumberOfAssignmentsAvailable"] == 2


def test_the_crowd_respects_qualification_requirements(mturk, emulator):
    qtype = mturk.create_qualification_type(
        Name="crowd-excluded", Description="nobody has it", QualificationTypeStatus="Active"
    )["QualificationType"]
    hit = create_hit(
        mturk,
        QualificationRequirements=[
            {
                "QualificationTypeId": qtype["QualificationTypeId"],
                "Comparator": "Exists",
                "ActionsGuarded": "Accept",
            }
        ],
    )
    done = emulator.crowd_work(HITIds=[hit["HITId"]], assignments=1, profile="average", seed=1)
    assert done["Actions"] == []


def test_it_works_a_whole_hit_type(mturk, emulator):
    first = create_hit(mturk, MaxAssignments=2)
    create_hit(mturk, MaxAssignments=2)
    done = emulator.crowd_work(
        HITTypeId=first["HITTypeId"], assignments=10, profile="diligent", seed=4
    )
    assert done["Submitted"] == 4


def test_it_refuses_bad_plans(emulator):
    with pytest.raises(EmulatorControlError) as excinfo:
        emulator.crowd_work(assignments=1, profile="genius")
    assert "profile" in str(excinfo.value)
    with pytest.raises(EmulatorControlError) as excinfo:
        emulator.crowd_work(HITIds=["NOSUCHHIT"], assignments=1)
    assert excinfo.value.payload["error"] == "HITDoesNotExist"


def test_it_answers_hits_made_from_a_layout(mturk, emulator):
    emulator.register_layout(
        "CROWDLAYOUT1",
        '<p>${caption}</p><crowd-form><crowd-radio-group name="verdict">'
        '<crowd-radio-button name="good">Good</crowd-radio-button>'
        '<crowd-radio-button name="bad">Bad</crowd-radio-button></crowd-radio-group></crowd-form>',
    )
    hit = create_hit(
        mturk,
        Question=None,
        HITLayoutId="CROWDLAYOUT1",
        HITLayoutParameters=[{"Name": "caption", "Value": "A cat"}],
    )
    emulator.crowd_truth(hit["HITId"], {"verdict": "bad"})
    done = emulator.crowd_work(HITIds=[hit["HITId"]], assignments=1, profile="diligent", seed=1)
    assert done["Actions"][0]["Answers"] == {"verdict": ["bad"]}
    xml = answer_of(mturk, done["Actions"][0]["AssignmentId"])
    assert '"bad":{"on":true}' in xml and '"good":{"on":false}' in xml
