"""A worker's uploaded file: shown on the card, fetched through GetFileUploadURL at the click."""

from __future__ import annotations

import re

import pytest
import requests

from apps.hits.models import Assignment
from apps.sync.services import requester_sync
from tests.helpers import create_hit

pytestmark = pytest.mark.django_db(transaction=True)

NS = "http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd"
FORM = (
    f'<QuestionForm xmlns="{NS}">'
    "<Question><QuestionIdentifier>note</QuestionIdentifier>"
    "<QuestionContent><Text>Say something</Text></QuestionContent>"
    "<AnswerSpecification><FreeTextAnswer/></AnswerSpecification></Question>"
    "<Question><QuestionIdentifier>photo</QuestionIdentifier>"
    "<QuestionContent><Text>Upload a photo</Text></QuestionContent>"
    "<AnswerSpecification><FileUploadAnswer><MaxFileSizeInBytes>100000</MaxFileSizeInBytes>"
    "<MinFileSizeInBytes>1</MinFileSizeInBytes></FileUploadAnswer></AnswerSpecification>"
    "</Question></QuestionForm>"
)
PICTURE = b"\x89PNG a picture of a cat"


@pytest.fixture
def uploaded(local_account, account_mturk, emulator, emulator_server):
    hit = create_hit(account_mturk, Question=FORM)
    assignment_id = emulator.accept("AFILEWORKER0001", hit["HITId"])
    done = requests.post(
        f"{emulator_server.url}/mturk/externalSubmit",
        data={"assignmentId": assignment_id, "note": "here it is"},
        files={"photo": ("cat.png", PICTURE, "image/png")},
        timeout=30,
    )
    assert done.status_code == 200
    requester_sync(requester=local_account)
    return Assignment.objects.get(mturk_id=assignment_id)


def test_the_card_offers_the_file_and_the_link_serves_it(login, victor, uploaded):
    assert uploaded.file_answers["photo"]["size"] == len(PICTURE)
    client = login(victor)  # a viewer may look at answers
    page = client.get("/review/").content.decode()
    link = f"/review/{uploaded.pk}/files/photo"
    assert f'href="{link}"' in page
    assert re.search(r"A file of \d+", page)
    assert "here it is" in page  # the other field shows as text
    response = client.get(link)
    assert response.status_code == 302
    assert requests.get(response["Location"], timeout=30).content == PICTURE


def test_a_field_that_is_not_a_file_is_not_found(login, victor, uploaded):
    assert login(victor).get(f"/review/{uploaded.pk}/files/note").status_code == 404


def test_another_accounts_assignment_is_not_found(login, charlie, uploaded):
    assert login(charlie).get(f"/review/{uploaded.pk}/files/photo").status_code == 404


def test_an_mturk_refusal_is_said_not_a_500(login, victor, uploaded):
    # MTurk answers "no file upload answer" when the mirror's key is stale: say so.
    uploaded.file_answers = {"missing": {"key": "k", "size": 1}}
    uploaded.answers = {**uploaded.answers, "missing": "k"}
    uploaded.save(update_fields=["file_answers", "answers"])
    response = login(victor).get(f"/review/{uploaded.pk}/files/missing", follow=True)
    assert response.status_code == 200
    assert "MTurk did not hand out the file" in response.content.decode()
