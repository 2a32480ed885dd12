from __future__ import annotations

import html
import re

import pytest
import requests
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import AuditEvent
from apps.qualifications import services
from apps.qualifications.models import QualificationRequest, QualificationScore, QualificationType
from apps.requesters.models import Membership
from apps.sync.services import requester_sync
from tests.fixtures.emulator import EmulatorControlError
from tests.helpers import create_hit, new_worker_id, work

pytestmark = pytest.mark.django_db(transaction=True)

TEST_XML = """<QuestionForm xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2017-11-06/QuestionForm.xsd">
<Question><QuestionIdentifier>q1</QuestionIdentifier><QuestionContent><Text>2+2?</Text></QuestionContent>
<AnswerSpecification><SelectionAnswer><Selections>
<Selection><SelectionIdentifier>a</SelectionIdentifier><Text>4</Text></Selection>
<Selection><SelectionIdentifier>b</SelectionIdentifier><Text>5</Text></Selection>
</Selections></SelectionAnswer></AnswerSpecification></Question></QuestionForm>"""
KEY_XML = """<AnswerKey xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/AnswerKey.xsd">
<Question><QuestionIdentifier>{qid}</QuestionIdentifier><AnswerOption><SelectionIdentifier>a</SelectionIdentifier>
<AnswerScore>100</AnswerScore></AnswerOption></Question></AnswerKey>"""


def _m(user) -> Membership:
    return Membership.objects.select_related("requester").get(user=user)


def _data(**overrides) -> dict:
    data = {
        "name": "Careful labellers",
        "description": "Passed our labelling test",
        "status": "Active",
    }
    data.update(overrides)
    return data


def test_a_type_is_created_at_mturk_and_mirrored(carol, local_account, account_mturk):
    qtype = services.qualification_type_create(membership=_m(carol), actor=carol, data=_data())
    remote = account_mturk.get_qualification_type(QualificationTypeId=qtype.mturk_id)[
        "QualificationType"
    ]
    assert remote["Name"] == "Careful labellers"
    assert AuditEvent.objects.filter(action="qualification.create").exists()


def test_a_test_needs_a_duration_and_a_key_must_match_it(carol, local_account):
    with pytest.raises(ValidationError, match="time limit"):
        services.qualification_type_create(
            membership=_m(carol), actor=carol, data=_data(test=TEST_XML)
        )
    with pytest.raises(ValidationError, match="the test has no question q9"):
        services.qualification_type_create(
            membership=_m(carol),
            actor=carol,
            data=_data(test=TEST_XML, test_duration=300, answer_key=KEY_XML.format(qid="q9")),
        )
    with pytest.raises(ValidationError, match="not well-formed"):
        services.qualification_type_create(
            membership=_m(carol), actor=carol, data=_data(test="<QuestionForm>", test_duration=60)
        )
    qtype = services.qualification_type_create(
        membership=_m(carol),
        actor=carol,
        data=_data(test=TEST_XML, test_duration=300, answer_key=KEY_XML.format(qid="q1")),
    )
    assert qtype.test_duration == 300


def test_requests_are_accepted_and_rejected(carol, local_account, emulator):
    qtype = services.qualification_type_create(membership=_m(carol), actor=carol, data=_data())
    alice_w, bob_w = new_worker_id(), new_worker_id()
    emulator.request_qualification(alice_w, qtype.mturk_id)
    emulator.request_qualification(bob_w, qtype.mturk_id)
    requester_sync(requester=local_account)
    pending = {
        r.worker_id: r for r in QualificationRequest.objects.filter(qualification_type=qtype)
    }
    assert set(pending) == {alice_w, bob_w}
    services.qualification_request_accept(
        membership=_m(carol), actor=carol, request=pending[alice_w], value=5
    )
    services.qualification_request_reject(
        membership=_m(carol), actor=carol, request=pending[bob_w], reason="Not yet"
    )
    requester_sync(requester=local_account, full=True)
    assert QualificationScore.objects.get(qualification_type=qtype, worker_id=alice_w).value == 5
    assert not QualificationScore.objects.filter(worker_id=bob_w).exists()
    assert QualificationRequest.objects.get(worker_id=bob_w).status == "Rejected"


def _existing_workers(emulator, n: int) -> list[str]:
    """Workers the local MTurk knows (MTurk refuses scores for worker ids that do not exist)."""
    ids = [new_worker_id() for _ in range(n)]
    for worker_id in ids:
        emulator.set_worker(worker_id)
    return ids


def test_csv_bulk_grant_reports_every_bad_row(login, carol, local_account, account_mturk, emulator):
    qtype = services.qualification_type_create(membership=_m(carol), actor=carol, data=_data())
    good = _existing_workers(emulator, 3)
    body = (
        "WorkerId,Value\n"
        + "".join(f"{w},{i * 10}\n" for i, w in enumerate(good))
        + "notaworker,5\n"
        + f"{good[0]},high\n"
    )
    upload = SimpleUploadedFile("scores.csv", body.encode(), content_type="text/csv")
    page = (
        login(carol)
        .post(f"/qualifications/{qtype.pk}/scores/upload/", {"file": upload}, follow=True)
        .content.decode()
    )
    assert "3 scores granted." in page
    assert "Row 5:" in page and "Row 6:" in page
    listed = account_mturk.list_workers_with_qualification_type(QualificationTypeId=qtype.mturk_id)[
        "Qualifications"
    ]
    assert {q["WorkerId"] for q in listed} == set(good)


def test_an_excluded_worker_cannot_take_the_next_study_but_a_fresh_one_can(
    carol, local_account, account_mturk, emulator
):
    first = create_hit(account_mturk, MaxAssignments=2)
    _, veteran = work(emulator, first["HITId"])
    requester_sync(requester=local_account)
    group = services.qualification_type_create(
        membership=_m(carol), actor=carol, data=_data(name="Did study 1"), group="exclude"
    )
    result = services.group_add_workers(
        membership=_m(carol),
        actor=carol,
        qtype=group,
        worker_ids=services.workers_of_hit_type(
            requester=local_account, hit_type_mturk_id=first["HITTypeId"]
        ),
    )
    assert result.applied == 1
    second = create_hit(
        account_mturk,
        Title="Study 2",
        QualificationRequirements=[services.group_requirement(group)],
    )
    with pytest.raises(EmulatorControlError):
        emulator.accept(veteran, second["HITId"])
    assert emulator.accept(new_worker_id(), second["HITId"])


def test_an_inclusion_list_refuses_outsiders(carol, local_account, account_mturk, emulator):
    insiders = services.qualification_type_create(
        membership=_m(carol), actor=carol, data=_data(name="Panel"), group="include"
    )
    (member,) = _existing_workers(emulator, 1)
    services.group_add_workers(
        membership=_m(carol), actor=carol, qtype=insiders, worker_ids=[member]
    )
    hit = create_hit(
        account_mturk,
        MaxAssignments=2,
        QualificationRequirements=[services.group_requirement(insiders)],
    )
    with pytest.raises(EmulatorControlError):
        emulator.accept(new_worker_id(), hit["HITId"])
    assert emulator.accept(member, hit["HITId"])


def test_pages_by_role(login, carol, victor, local_account):
    qtype = services.qualification_type_create(membership=_m(carol), actor=carol, data=_data())
    viewer = login(victor)
    assert qtype.name in viewer.get("/qualifications/").content.decode()
    assert viewer.get("/qualifications/new/").status_code == 403
    assert viewer.post(f"/qualifications/{qtype.pk}/delete/").status_code == 403
    manager = login(carol)
    response = manager.post(
        "/qualifications/new/",
        {"name": "Group A", "description": "d", "status": "Active", "group": "exclude"},
    )
    assert response.status_code == 302
    assert QualificationType.objects.get(name="Group A").group == "exclude"
    manager.post(f"/qualifications/{qtype.pk}/delete/")
    assert QualificationType.objects.get(pk=qtype.pk).status == "Disposing"


def test_another_accounts_type_is_404(login, charlie, carol, local_account):
    qtype = services.qualification_type_create(membership=_m(carol), actor=carol, data=_data())
    assert login(charlie).get(f"/qualifications/{qtype.pk}/").status_code == 404


ANSWER = (
    '<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/AWSMechanicalTurkDataSchemas/2005-10-01/'
    'QuestionFormAnswers.xsd"><Answer><QuestionIdentifier>q1</QuestionIdentifier>'
    "<SelectionIdentifier>{choice}</SelectionIdentifier></Answer></QuestionFormAnswers>"
)


def test_a_test_graded_by_its_key_shows_the_score_in_the_dashboard(
    login, carol, local_account, emulator
):
    qtype = services.qualification_type_create(
        membership=_m(carol),
        actor=carol,
        data=_data(
            name="Arithmetic", test=TEST_XML, test_duration=300, answer_key=KEY_XML.format(qid="q1")
        ),
    )
    right, wrong = _existing_workers(emulator, 2)
    emulator.request_qualification(right, qtype.mturk_id, answer=ANSWER.format(choice="a"))
    emulator.request_qualification(wrong, qtype.mturk_id, answer=ANSWER.format(choice="b"))
    requester_sync(requester=local_account, full=True)
    scores = dict(
        QualificationScore.objects.filter(qualification_type=qtype).values_list(
            "worker_id", "value"
        )
    )
    assert scores[right] == 100
    assert scores.get(wrong, 0) == 0
    page = login(carol).get(f"/qualifications/{qtype.pk}/").content.decode()
    assert right in page


def test_the_list_counts_workers_requests_and_hits_requiring_each_type(
    login, carol, local_account, account_mturk, emulator
):
    qtype = services.qualification_type_create(
        membership=_m(carol), actor=carol, data=_data(name="Counted")
    )
    holders = _existing_workers(emulator, 2)
    services.group_add_workers(membership=_m(carol), actor=carol, qtype=qtype, worker_ids=holders)
    emulator.request_qualification(new_worker_id(), qtype.mturk_id)
    requirement = {"QualificationTypeId": qtype.mturk_id, "Comparator": "Exists"}
    for _ in range(3):
        create_hit(account_mturk, QualificationRequirements=[requirement])
    create_hit(account_mturk, Title="Open to all")
    requester_sync(requester=local_account)
    assert services.hits_requiring(QualificationType.objects.get(pk=qtype.pk)) == 3
    page = login(carol).get("/qualifications/").content.decode()
    row = page[page.index("Counted") :].split("</tr>", 1)[0]
    cells = [c.split("<", 1)[0] for c in row.split('class="num">')[1:]]
    assert cells == ["2", "1", "3"]


def _worker_site(emulator_server, worker_id: str) -> requests.Session:
    """A browser-less worker signed in to the local MTurk's worker site."""
    site = requests.Session()
    site.post(f"{emulator_server.url}/worker/identity", data={"worker_id": worker_id})
    return site


def _take_test(site, emulator_server, type_id: str, answers: dict) -> requests.Response:
    page = site.get(f"{emulator_server.url}/worker/qualifications/{type_id}/test").text
    srcdoc = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    token = html.unescape(re.search(r'name="testToken" value="([^"]*)"', srcdoc).group(1))
    return site.post(
        f"{emulator_server.url}/worker/qualifications/test", data={"testToken": token, **answers}
    )


def test_a_test_taken_on_the_worker_site_is_graded_by_the_key_written_in_the_dashboard(
    login, carol, local_account, emulator_server
):
    """The score shows once the type's scores are read again (the full sync does it too: see
    the test below)."""
    client = login(carol)
    built = client.post(
        "/qualifications/new/",
        {
            "name": "Sums",
            "description": "Can add",
            "status": "Active",
            "test": TEST_XML,
            "test_duration": "300",
            "right-q1": "a",
            "build_key": "1",
        },
    ).content.decode()
    answer_key = html.unescape(
        re.search(r'<textarea name="answer_key"[^>]*>(.*?)</textarea>', built, re.S).group(1)
    )
    response = client.post(
        "/qualifications/new/",
        {
            "name": "Sums",
            "description": "Can add",
            "status": "Active",
            "test": TEST_XML,
            "test_duration": "300",
            "answer_key": answer_key,
        },
    )
    assert response.status_code == 302
    qtype = QualificationType.objects.get(name="Sums")

    right, wrong = new_worker_id(), new_worker_id()
    passed = _take_test(
        _worker_site(emulator_server, right), emulator_server, qtype.mturk_id, {"q1": "a"}
    )
    failed = _take_test(
        _worker_site(emulator_server, wrong), emulator_server, qtype.mturk_id, {"q1": "b"}
    )
    assert "granted with value 100" in passed.text
    assert "granted with value 0" in failed.text

    page = client.get(f"/qualifications/{qtype.pk}/").content.decode()
    assert right not in page  # not known here until the account is read again
    assert "Read scores from MTurk" in page
    page = client.post(f"/qualifications/{qtype.pk}/scores/refresh/", follow=True)
    page = page.content.decode()
    assert "Read from MTurk: 2 workers hold Sums." in page
    rows = {w: page[page.index(f"<code>{w}</code>") :].split("</tr>", 1)[0] for w in (right, wrong)}
    assert '<td class="num">100</td>' in rows[right]
    assert '<td class="num">0</td>' in rows[wrong]
