"""The type editor: the live check beside the test (errors, or the preview frame with its own
policy), the answer-key helper, refusals that leave nothing half-made, and the detail and list
pages (test answers, change and revoke with a reason, disposing, system types apart)."""

from __future__ import annotations

import html
import re

import pytest

from apps.audit.models import AuditEvent
from apps.mturk import constants
from apps.qualifications import services
from apps.qualifications.models import QualificationRequest, QualificationScore, QualificationType
from apps.requesters.models import Membership
from apps.sync.services import requester_sync
from tests.helpers import new_worker_id
from tests.qualifications.test_testxml import BILLION_LAUGHS, form, free_text, key, keyed, selection

TEST = form(selection("q1"), free_text("why"))
KEY = key(keyed("q1", ("b", 10)))


def _frame_url(page: str) -> str | None:
    match = re.search(r'<iframe class="hit-preview test-preview"[^>]* src="([^"]+)"', page)
    return html.unescape(match.group(1)) if match else None


def _check(client, **data) -> str:
    response = client.post("/qualifications/test-check/", data)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_it_draws_the_typed_test_in_a_frame_with_its_own_policy(login, carol):
    client = login(carol)
    part = _check(client, test=TEST, answer_key=KEY, test_duration="60")
    assert 'id="test-check"' in part and "<form" not in part.split('id="test-check"')[0]
    assert "Best summed score: <strong>10</strong>" in part
    assert "Not scored by the key (they count 0): why." in part
    url = _frame_url(part)
    assert url and url.startswith("/qualifications/test-preview/")
    assert 'sandbox=""' in part

    frame = client.get(url)
    assert frame.status_code == 200
    body = frame.content.decode()
    assert "q1?" in body and 'name="q1" value="b"' in body and 'name="why"' in body
    policy = frame["Content-Security-Policy"]
    assert "script-src 'none'" in policy and "frame-ancestors 'self'" in policy
    assert "form-action 'none'" in policy
    assert frame["X-Frame-Options"] == "SAMEORIGIN"


@pytest.mark.django_db
def test_worker_visible_text_is_escaped_in_the_frame(login, carol):
    client = login(carol)
    hostile = TEST.replace("q1?", "&lt;script&gt;top.pwned=1&lt;/script&gt;")
    body = client.get(_frame_url(_check(client, test=hostile, test_duration="60"))).content
    assert b"<script>" not in body and b"&lt;script&gt;top.pwned=1" in body


@pytest.mark.django_db
def test_errors_show_instead_of_the_preview_when_the_xml_is_invalid(login, carol):
    client = login(carol)
    part = _check(client, test=form(selection("q1"), selection("q1")), test_duration="60")
    assert "QuestionIdentifier &#x27;q1&#x27; is used twice" in part
    assert _frame_url(part) is None

    part = _check(client, test=TEST, answer_key=key(keyed("q7", ("a", 1))))
    assert "A test needs a time limit" in part
    assert "the test has no question q7" in part
    assert _frame_url(part) is not None  # the test itself is fine: its preview stays

    part = _check(client, test=BILLION_LAUGHS, test_duration="60")
    assert "declares a DTD or entities" in part and _frame_url(part) is None


@pytest.mark.django_db
def test_a_preview_is_only_shown_to_whoever_typed_it(client, login, carol, alice):
    url = _frame_url(_check(login(carol), test=TEST, test_duration="60"))
    client.logout()
    assert client.get(url).status_code == 302  # anonymous: sign in first
    assert login(alice).get(url).status_code == 404
    assert login(alice).get("/qualifications/test-preview/0123abcd/").status_code == 404


@pytest.mark.django_db
def test_an_outsider_without_an_account_cannot_use_the_check(login, django_user_model):
    loner = django_user_model.objects.create_user("loner", password="x")
    assert login(loner).post("/qualifications/test-check/", {"test": TEST}).status_code == 404


@pytest.mark.django_db
def test_the_form_page_shows_the_check_and_writes_the_key_with_the_helper(login, carol):
    client = login(carol)
    page = client.get("/qualifications/new/").content.decode()
    assert 'hx-trigger="keyup changed delay:500ms, change"' in page
    assert "Type or paste a QuestionForm" in page

    page = client.post(
        "/qualifications/new/",
        {
            "name": "Maths",
            "description": "d",
            "status": "Active",
            "test": TEST,
            "test_duration": "60",
            "right-q1": "c",
            "key_points": "4",
            "build_key": "1",
        },
    ).content.decode()
    assert not QualificationType.objects.exists()
    textarea = re.search(r'<textarea name="answer_key"[^>]*>(.*?)</textarea>', page, re.S)
    written = html.unescape(textarea.group(1))
    assert "<SelectionIdentifier>c</SelectionIdentifier>" in written
    assert "<AnswerScore>4</AnswerScore>" in written
    assert "A perfect test gets the value <strong>100</strong> (PercentageMapping)" in page
    assert '<option value="c" selected>' in page


@pytest.mark.django_db(transaction=True)
def test_refused_settings_leave_nothing_made(login, carol, local_account, account_mturk):
    client = login(carol)
    base = {"name": "Maths", "description": "d", "status": "Active", "test": TEST}
    page = client.post(
        "/qualifications/new/", {**base, "test_duration": "60", "auto_granted": "on"}
    ).content.decode()
    assert "MTurk refuses both together" in page
    page = client.post("/qualifications/new/", base).content.decode()
    assert "A test needs a time limit" in page
    page = client.post(
        "/qualifications/new/",
        {**base, "test_duration": "60", "answer_key": key(keyed("q1", ("zz", 1)))},
    ).content.decode()
    assert "the question has no selection &#x27;zz&#x27;" in page
    assert not QualificationType.objects.exists()
    assert not AuditEvent.objects.filter(action="qualification.create").exists()
    listed = account_mturk.list_qualification_types(
        MustBeRequestable=False, MustBeOwnedByCaller=True
    )["QualificationTypes"]
    assert listed == []

    membership = Membership.objects.select_related("requester").get(user=carol)
    with pytest.raises(Exception, match="MTurk refuses both together"):
        services.qualification_type_create(
            membership=membership,
            actor=carol,
            data={**base, "test_duration": 60, "auto_granted": True},
        )


@pytest.mark.django_db(transaction=True)
def test_editing_keeps_mturk_in_step_and_refuses_taking_the_test_off(
    login, carol, local_account, account_mturk
):
    client = login(carol)
    response = client.post(
        "/qualifications/new/",
        {
            "name": "Fast",
            "description": "d",
            "status": "Active",
            "auto_granted": "on",
            "auto_granted_value": "7",
        },
    )
    qtype = QualificationType.objects.get(name="Fast")
    assert response.status_code == 302 and qtype.auto_granted
    client.post(
        f"/qualifications/{qtype.pk}/edit/",
        {
            "description": "with a test now",
            "status": "Inactive",
            "test": TEST,
            "test_duration": "90",
        },
    )
    remote = account_mturk.get_qualification_type(QualificationTypeId=qtype.mturk_id)[
        "QualificationType"
    ]
    assert remote["AutoGranted"] is False and remote["QualificationTypeStatus"] == "Inactive"
    assert remote["TestDurationInSeconds"] == 90

    page = client.post(
        f"/qualifications/{qtype.pk}/edit/", {"description": "no test", "status": "Active"}
    ).content.decode()
    assert "MTurk cannot take the test off a type" in page
    assert QualificationType.objects.get(pk=qtype.pk).description == "with a test now"


@pytest.mark.django_db(transaction=True)
def test_the_detail_page_shows_test_answers_and_changes_and_revokes_with_a_reason(
    login, carol, local_account, account_mturk, emulator
):
    membership = Membership.objects.select_related("requester").get(user=carol)
    qtype = services.qualification_type_create(
        membership=membership,
        actor=carol,
        data={
            "name": "Graded by hand",
            "description": "d",
            "status": "Active",
            "test": TEST,
            "test_duration": 300,
        },
    )
    worker = new_worker_id()
    emulator.set_worker(worker)
    answer = (
        '<QuestionFormAnswers xmlns="http://mechanicalturk.amazonaws.com/'
        'AWSMechanicalTurkDataSchemas/2005-10-01/QuestionFormAnswers.xsd"><Answer>'
        "<QuestionIdentifier>q1</QuestionIdentifier><SelectionIdentifier>b</SelectionIdentifier>"
        "</Answer><Answer><QuestionIdentifier>why</QuestionIdentifier>"
        "<FreeText>&lt;b&gt;because&lt;/b&gt;</FreeText></Answer></QuestionFormAnswers>"
    )
    emulator.request_qualification(worker, qtype.mturk_id, answer=answer)
    requester_sync(requester=local_account)
    client = login(carol)
    page = client.get(f"/qualifications/{qtype.pk}/").content.decode()
    assert "<dt>q1</dt><dd>b</dd>" in page
    assert "<dt>why</dt><dd>&lt;b&gt;because&lt;/b&gt;</dd>" in page

    qrequest = QualificationRequest.objects.get(worker_id=worker)
    client.post(
        f"/qualifications/{qtype.pk}/requests/{qrequest.pk}/",
        {"decision": "accept", "value": "40"},
    )
    client.post(f"/qualifications/{qtype.pk}/scores/", {"worker_id": worker, "value": "55"})
    remote = account_mturk.get_qualification_score(
        QualificationTypeId=qtype.mturk_id, WorkerId=worker
    )
    assert remote["Qualification"]["IntegerValue"] == 55
    page = client.get(f"/qualifications/{qtype.pk}/").content.decode()
    assert f'aria-label="Reason to revoke {worker}"' in page

    client.post(
        f"/qualifications/{qtype.pk}/scores/",
        {"worker_id": worker, "revoke": "1", "reason": "Answers copied"},
    )
    assert QualificationScore.objects.get(worker_id=worker).status == "Revoked"
    revoke = AuditEvent.objects.get(action="qualification.revoke")
    assert revoke.details["reason"] == "Answers copied"
    listed = account_mturk.list_workers_with_qualification_type(QualificationTypeId=qtype.mturk_id)
    assert [q for q in listed["Qualifications"] if q["Status"] == "Granted"] == []


@pytest.mark.django_db(transaction=True)
def test_a_deleted_type_shows_disposing_until_mturk_lets_it_go(login, carol, local_account):
    membership = Membership.objects.select_related("requester").get(user=carol)
    qtype = services.qualification_type_create(
        membership=membership,
        actor=carol,
        data={"name": "Old study", "description": "d", "status": "Active"},
    )
    client = login(carol)
    client.post(f"/qualifications/{qtype.pk}/delete/")
    page = client.get("/qualifications/").content.decode()
    row = page[page.index(">Old study</a>") :].split("</tr>", 1)[0]
    assert ">disposing</span>" in row
    detail = client.get(f"/qualifications/{qtype.pk}/").content.decode()
    assert "Disposing: deleted" in detail and "Delete this type" not in detail
    requester_sync(requester=local_account)
    assert ">Old study</a>" not in client.get("/qualifications/").content.decode()


@pytest.mark.django_db
def test_system_types_are_listed_apart_with_this_environments_masters_id(login, carol, account):
    QualificationType.objects.create(requester=account, mturk_id="Q" * 30, name="Own type")
    page = login(carol).get("/qualifications/").content.decode()
    own, system = page.split("<h2>System qualifications</h2>")
    assert "Own type" in own and constants.QUAL_MASTERS_SANDBOX not in own
    assert constants.QUAL_MASTERS_SANDBOX in system and "Own type" not in system
    assert constants.QUAL_LOCALE in system and constants.QUAL_PERCENT_APPROVED in system


@pytest.mark.django_db
def test_soft_and_hard_blocks_are_explained_where_both_are_offered(login, carol, account):
    group = QualificationType.objects.create(
        requester=account, mturk_id="G" * 30, name="Did study 1", group="exclude"
    )
    page = login(carol).get(f"/qualifications/{group.pk}/").content.decode()
    assert "soft block" in page and "hard block" in page
    assert "counts against their standing" in page
    form_page = login(carol).get("/qualifications/new/?group=exclude").content.decode()
    assert "soft block" in form_page and "hard block" in form_page


@pytest.mark.django_db(transaction=True)
def test_a_request_with_a_bad_value_is_not_decided(login, carol, local_account, emulator):
    membership = Membership.objects.select_related("requester").get(user=carol)
    qtype = services.qualification_type_create(
        membership=membership,
        actor=carol,
        data={"name": "By hand", "description": "d", "status": "Active"},
    )
    worker = new_worker_id()
    emulator.request_qualification(worker, qtype.mturk_id)
    requester_sync(requester=local_account)
    qrequest = QualificationRequest.objects.get(worker_id=worker)
    page = (
        login(carol)
        .post(
            f"/qualifications/{qtype.pk}/requests/{qrequest.pk}/",
            {"decision": "accept", "value": "lots"},
            follow=True,
        )
        .content.decode()
    )
    assert "The value must be a whole number" in page
    assert QualificationRequest.objects.get(pk=qrequest.pk).status == "Pending"
    requester_sync(requester=local_account, full=True)
    assert not QualificationScore.objects.filter(worker_id=worker).exists()


@pytest.mark.django_db(transaction=True)
def test_retries_cannot_be_turned_off_and_a_deleted_type_cannot_be_edited(
    login, carol, local_account
):
    client = login(carol)
    client.post(
        "/qualifications/new/",
        {"name": "Retry", "description": "d", "status": "Active", "retry_delay": "3600"},
    )
    qtype = QualificationType.objects.get(name="Retry")
    page = client.post(
        f"/qualifications/{qtype.pk}/edit/", {"description": "d2", "status": "Active"}
    ).content.decode()
    assert "MTurk cannot turn retries off once they are allowed" in page
    client.post(
        f"/qualifications/{qtype.pk}/edit/",
        {"description": "d2", "status": "Active", "retry_delay": "60"},
    )
    assert QualificationType.objects.get(pk=qtype.pk).retry_delay == 60

    client.post(f"/qualifications/{qtype.pk}/delete/")
    response = client.post(
        f"/qualifications/{qtype.pk}/edit/",
        {"description": "d3", "status": "Active", "retry_delay": "60"},
        follow=True,
    )
    assert "MTurk is disposing of it" in response.content.decode()
    assert QualificationType.objects.get(pk=qtype.pk).description == "d2"


@pytest.mark.django_db
def test_the_helper_starts_from_the_key_already_written(login, carol):
    part = _check(
        login(carol),
        test=form(selection("q1"), selection("q2")),
        answer_key=key(keyed("q1", ("a", 1), ("c", 5)), keyed("q2", ("b", 2))),
        test_duration="60",
    )
    assert '<details class="key-builder" open>' in part
    chosen = re.findall(r'name="right-(\w+)">.*?<option value="(\w)" selected>', part, re.S)
    assert chosen == [("q1", "c"), ("q2", "b")]


@pytest.mark.django_db
def test_a_tests_time_limit_and_retry_delay_are_entered_and_shown_in_minutes_hours_days(
    login, carol, local_account, account_mturk
):
    client = login(carol)
    timed = {"name": "Timed", "description": "d", "status": "Active", "test": TEST}
    page = client.post(
        "/qualifications/new/", {**timed, "test_duration": "400", "test_duration_unit": "days"}
    ).content.decode()
    assert "400 days is out of range" in page
    assert not QualificationType.objects.filter(name="Timed").exists()

    response = client.post(
        "/qualifications/new/",
        {
            **timed,
            "test_duration": "10",
            "test_duration_unit": "minutes",
            "retry_delay": "2",
            "retry_delay_unit": "days",
        },
    )
    assert response.status_code == 302
    qtype = QualificationType.objects.get(name="Timed")
    remote = account_mturk.get_qualification_type(QualificationTypeId=qtype.mturk_id)[
        "QualificationType"
    ]
    assert remote["TestDurationInSeconds"] == 600 and remote["RetryDelayInSeconds"] == 172_800

    detail = client.get(f"/qualifications/{qtype.pk}/").content.decode()
    assert "10 minutes" in detail and "retry after 2 days" in detail
    assert "600" not in detail and "172800" not in detail
    edit = client.get(f"/qualifications/{qtype.pk}/edit/").content.decode()
    assert re.search(r'name="test_duration" value="10"', edit)
    assert re.search(r'<option value="minutes" selected>', edit)
    assert re.search(r'name="retry_delay" value="2"', edit)
    assert re.search(r'<option value="days" selected>', edit)

    # The live check reads the number with its unit: a limit given, no error for want of one.
    page = _check(client, test=TEST, test_duration="10", test_duration_unit="minutes")
    assert "A test needs a time limit" not in page
    assert "A test needs a time limit" in _check(client, test=TEST, test_duration_unit="minutes")
