"""XML bombs and external entities: in a worker's answer they are kept raw, flagged and shown as
text (the sync neither hangs nor reads a file); in a QuestionForm a requester writes (a project's
question, a qualification test) they are refused with a clear error."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone
from django.utils.html import escape

from apps.batches.models import Project
from apps.hits.upserts import assignment_upsert_from_api
from apps.qualifications.models import QualificationType
from tests.fixtures.emulator import EmulatorControlError
from tests.helpers import create_hit, new_worker_id

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd">
<Answer><QuestionIdentifier>label</QuestionIdentifier><FreeText>&lol9;</FreeText></Answer>
</QuestionFormAnswers>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE answers [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd">
<Answer><QuestionIdentifier>label</QuestionIdentifier><FreeText>&secret;</FreeText></Answer>
</QuestionFormAnswers>"""


def _question_form(doctype: str, text: str) -> str:
    return f"""<?xml version="1.0"?>
{doctype}
<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd">
<Question><QuestionIdentifier>q1</QuestionIdentifier><IsRequired>true</IsRequired>
<QuestionContent><Text>{text}</Text></QuestionContent>
<AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question>
</QuestionForm>"""


BOMBS = {
    "billion laughs": _question_form(
        BILLION_LAUGHS.split("<QuestionFormAnswers")[0].split("?>", 1)[1], "&lol9;"
    ),
    "external entity": _question_form(
        '<!DOCTYPE q [<!ENTITY secret SYSTEM "file:///etc/passwd">]>', "&secret;"
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "xxe"])
def test_the_local_mturk_refuses_an_answer_document_with_entities(account_mturk, emulator, xml):
    """MTurk writes answer documents itself; the local MTurk will not store one with a DTD."""
    hit = create_hit(account_mturk)
    assignment_id = emulator.accept(new_worker_id(), hit["HITId"])
    with pytest.raises(EmulatorControlError) as refused:
        emulator.submit(assignment_id, answer_xml=xml)
    assert refused.value.status == 400
    assert "Entities" in str(refused.value)


@pytest.mark.django_db
@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "xxe"])
def test_a_hostile_answer_document_is_kept_raw_flagged_and_shown_as_text(
    objects, alice, login, xml
):
    """Should one reach the mirror all the same (a payload as GetAssignment would give it)."""
    hit = objects["assignment"].hit
    started = time.monotonic()
    assignment, _ = assignment_upsert_from_api(
        hit=hit,
        data={
            "AssignmentId": "B" * 30,
            "WorkerId": "AHOSTILE000001",
            "HITId": hit.mturk_id,
            "AssignmentStatus": "Submitted",
            "SubmitTime": timezone.now(),
            "Answer": xml,
        },
        fetched_at=timezone.now(),
    )
    assert time.monotonic() - started < 5
    assert assignment.answer_error, "the hostile document is not flagged"
    assert assignment.answers == {}
    assert assignment.answer_xml == xml  # kept raw, as it came
    assert "root:" not in str(assignment.raw)  # /etc/passwd was never read

    client = login(alice)
    client.post("/accounts/switch/", {"requester": objects["account"].pk})
    for url in ("/review/", f"/hits/{hit.pk}/", "/review/export.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = (
            b"".join(response.streaming_content) if response.streaming else response.content
        ).decode()
        assert "<!ENTITY" not in body or url.endswith(".csv"), url
        assert "root:x:0:0" not in body and "lollollol" not in body, url
    html = client.get("/review/").content.decode()
    assert f'id="assignment-{assignment.pk}"' in html
    assert escape(assignment.answer_error) in html


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(BOMBS))
def test_a_questionform_project_with_entities_is_refused_clearly(client, account, carol, name):
    client.force_login(carol, backend="django.contrib.auth.backends.ModelBackend")
    client.post("/accounts/switch/", {"requester": account.pk})
    started = time.monotonic()
    check = client.post(
        "/batches/projects/check/", {"template": BOMBS[name], "question_kind": "questionform"}
    )
    assert check.status_code == 200
    assert time.monotonic() - started < 10
    text = check.content.decode()
    assert "root:x:0:0" not in text and "lollollol" not in text
    assert "DTD" in text or "entit" in text.lower(), text[-1500:]

    form = client.get("/batches/projects/new/").content.decode()
    import re

    management = dict(
        re.findall(
            r'name="([\w-]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"[^>]*value="(\d+)"', form
        )
    )
    response = client.post(
        "/batches/projects/new/",
        {
            **management,
            "name": "Bomb",
            "question_kind": "questionform",
            "template": BOMBS[name],
            "frame_height": "0",
            "title": "t",
            "description": "d",
            "keywords": "k",
            "reward": "0.10",
            "max_assignments": "1",
            "lifetime": "3600",
            "assignment_duration": "600",
            "auto_approval_delay": "86400",
            "annotation": "",
        },
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Project.objects.filter(name="Bomb").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(BOMBS))
def test_a_qualification_test_with_entities_is_refused_clearly(client, account, carol, name):
    client.force_login(carol, backend="django.contrib.auth.backends.ModelBackend")
    client.post("/accounts/switch/", {"requester": account.pk})
    started = time.monotonic()
    check = client.post("/qualifications/test-check/", {"test": BOMBS[name], "answer_key": ""})
    assert check.status_code == 200
    assert time.monotonic() - started < 10
    text = check.content.decode()
    assert "root:x:0:0" not in text and "lollollol" not in text
    assert "declares a DTD or entities" in text
    response = client.post(
        "/qualifications/new/",
        {
            "name": f"Bomb {name}",
            "description": "d",
            "status": "Active",
            "test": BOMBS[name],
            "test_duration": "600",
        },
    )
    assert response.status_code == 200
    assert "declares a DTD or entities" in response.content.decode()
    assert not QualificationType.objects.filter(name=f"Bomb {name}").exists()
