"""A hostile worker's answer never stops the mirror: answers built to exhaust the parser (JSON
nested thousands deep, tens of thousands of fields) are kept raw and flagged, and every other
assignment of the account is still mirrored, by reconciliation and by notifications alike."""

from __future__ import annotations

import json

import pytest

from apps.hits.models import Assignment
from apps.mturk.answers import parse_answers
from apps.sync.services import requester_sync
from tests.helpers import create_hit, new_worker_id

pytestmark = pytest.mark.django_db(transaction=True)

NESTED = "[" * 3000  # 3 KB that once raised RecursionError in the parser
DEEP_OBJECT = '{"a":' * 200 + "1" + "}" * 200
WIDE = json.dumps({f"f{i}": i for i in range(20_000)})


def _answer_xml(task_answers: str, **others: str) -> str:
    parts = [
        "<Answer><QuestionIdentifier>taskAnswers</QuestionIdentifier>"
        f"<FreeText>{task_answers}</FreeText></Answer>"
    ]
    parts += [
        f"<Answer><QuestionIdentifier>{name}</QuestionIdentifier><FreeText>{value}</FreeText>"
        "</Answer>"
        for name, value in others.items()
    ]
    return (
        '<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas'
        '/2005-10-01/QuestionFormAnswers.xsd">' + "".join(parts) + "</QuestionFormAnswers>"
    )


@pytest.mark.parametrize(
    "hostile", [NESTED, DEEP_OBJECT, WIDE], ids=["brackets", "objects", "wide"]
)
def test_it_keeps_an_exhausting_answer_raw_and_reads_the_others(hostile):
    parsed = parse_answers(_answer_xml(hostile, comment="fine"))
    assert parsed.error.startswith("taskAnswers: answer")
    assert "kept raw" in parsed.error
    assert parsed.answers == {"comment": "fine"}


def test_it_mirrors_the_whole_account_when_one_worker_sends_a_parser_bomb(
    local_account, account_mturk, emulator, alice, login
):
    hit = create_hit(account_mturk, MaxAssignments=3)
    hostile_id = emulator.accept(new_worker_id(), hit["HITId"])
    emulator.submit(hostile_id, answer_xml=_answer_xml(NESTED))
    honest_ids = [
        emulator.complete(new_worker_id(), hit["HITId"], {"label": "cat"}) for _ in range(2)
    ]

    report = requester_sync(requester=local_account)
    assert report.run.ok, report.run.error
    hostile = Assignment.objects.get(mturk_id=hostile_id)
    assert "nested deeper" in hostile.answer_error
    assert hostile.answer_xml.count("[") == 3000  # kept as MTurk sent it
    for mturk_id in honest_ids:
        assert Assignment.objects.get(mturk_id=mturk_id).answers == {"label": "cat"}

    # And the next reconciliation still runs: the account is not stuck on that answer.
    later = create_hit(account_mturk)
    late_id = emulator.complete(new_worker_id(), later["HITId"], {"label": "dog"})
    assert requester_sync(requester=local_account).run.ok
    assert Assignment.objects.get(mturk_id=late_id).answers == {"label": "dog"}

    client = login(alice)
    client.post("/accounts/switch/", {"requester": local_account.pk})
    queue = client.get("/review/").content.decode()
    assert "This answer could not be parsed" in queue
    page = client.get(f"/hits/{hostile.hit_id}/").content.decode()
    assert "The answer as MTurk sent it" in page
