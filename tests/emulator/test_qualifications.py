"""Qualification types, scores, requests, and requirements enforced on workers."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.fixtures.emulator import EmulatorControlError

from .conftest import ANSWER_KEY, create_hit, error_of, new_worker_id, selection_test

LOCALE = "00000000000000000071"
ADULT = "00000000000000000060"
NUMBER_APPROVED = "00000000000000000040"
PERCENT_APPROVED = "000000000000000000L0"
MASTERS_SANDBOX = "2ARFPLSP75KLA8M8DH1HTEQVJT3SY6"
MASTERS = "2F1QJWKUDD8XADTFD2Q0G6UTO95ALH"


def make_type(mturk, name="Trusted worker", **kwargs) -> str:
    params = {"Name": name, "Description": "Good", "QualificationTypeStatus": "Active"} | kwargs
    return mturk.create_qualification_type(**params)["QualificationType"]["QualificationTypeId"]


def known_worker(emulator, **attributes) -> str:
    worker = new_worker_id()
    emulator.set_worker(worker, **attributes)
    return worker


def test_keywords_are_left_out_when_none_were_given(mturk):
    """Unset members are omitted from a QualificationType (botocore's model marks none of them
    required), as for Test or RetryDelayInSeconds; Keywords given come back as given."""
    bare = mturk.create_qualification_type(
        Name="No keywords", Description="x", QualificationTypeStatus="Active"
    )["QualificationType"]
    assert "Keywords" not in bare
    got = mturk.get_qualification_type(QualificationTypeId=bare["QualificationTypeId"])
    assert "Keywords" not in got["QualificationType"]
    tagged = mturk.create_qualification_type(
        Name="With keywords",
        Description="x",
        Keywords="cats, dogs",
        QualificationTypeStatus="Active",
    )["QualificationType"]
    assert tagged["Keywords"] == "cats, dogs"


def test_it_creates_and_gets_a_qualification_type(mturk):
    created = mturk.create_qualification_type(
        Name="Cat expert",
        Description="Knows cats",
        Keywords="cats",
        QualificationTypeStatus="Active",
        RetryDelayInSeconds=3600,
    )["QualificationType"]
    assert len(created["QualificationTypeId"]) == 30
    assert created["IsRequestable"] is True
    assert created["AutoGranted"] is False
    fetched = mturk.get_qualification_type(QualificationTypeId=created["QualificationTypeId"])
    assert fetched["QualificationType"]["Name"] == "Cat expert"
    assert fetched["QualificationType"]["RetryDelayInSeconds"] == 3600


def test_it_refuses_a_duplicate_name(mturk):
    make_type(mturk, "Unique name")
    with pytest.raises(ClientError) as excinfo:
        make_type(mturk, "Unique name")
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.QualificationTypeAlreadyExists"


def test_it_creates_tests_with_answer_keys_and_auto_granted_types(mturk):
    tested = mturk.create_qualification_type(
        Name="Test taker",
        Description="d",
        QualificationTypeStatus="Active",
        Test=selection_test(),
        AnswerKey=ANSWER_KEY,
        TestDurationInSeconds=600,
    )["QualificationType"]
    assert tested["TestDurationInSeconds"] == 600
    assert "AnswerKey" in tested
    auto = mturk.create_qualification_type(
        Name="Everyone", Description="d", QualificationTypeStatus="Active", AutoGranted=True
    )["QualificationType"]
    assert auto["AutoGranted"] is True
    assert auto["AutoGrantedValue"] == 1


@pytest.mark.parametrize(
    ("extra", "code", "named"),
    [
        ({"Test": selection_test()}, "AWS.MechanicalTurk.MissingParameter", "TestDuration"),
        (
            {"Test": selection_test(), "TestDurationInSeconds": 60, "AutoGranted": True},
            "AWS.MechanicalTurk.InvalidParameterValue",
            "AutoGranted",
        ),
        ({"AnswerKey": ANSWER_KEY}, "AWS.MechanicalTurk.InvalidParameterValue", "AnswerKey"),
        (
            {"Test": "<QuestionForm>", "TestDurationInSeconds": 60},
            "AWS.MechanicalTurk.XMLParseError",
            "Test",
        ),
        ({"RetryDelayInSeconds": -1}, "AWS.ParameterOutOfRange", "RetryDelayInSeconds"),
    ],
)
def test_it_checks_qualification_type_settings(mturk, extra, code, named):
    with pytest.raises(ClientError) as excinfo:
        make_type(mturk, "Checked", **extra)
    assert error_of(excinfo)[1] == code
    assert named in error_of(excinfo)[2]


def test_it_updates_a_qualification_type(mturk):
    qtype = make_type(mturk)
    updated = mturk.update_qualification_type(
        QualificationTypeId=qtype,
        Description="Updated",
        QualificationTypeStatus="Inactive",
        AutoGranted=True,
        AutoGrantedValue=7,
    )["QualificationType"]
    assert updated["Description"] == "Updated"
    assert updated["QualificationTypeStatus"] == "Inactive"
    assert updated["AutoGrantedValue"] == 7
    assert updated["Name"] == "Trusted worker"


def test_it_deletes_a_qualification_type(mturk):
    qtype = make_type(mturk)
    mturk.delete_qualification_type(QualificationTypeId=qtype)
    with pytest.raises(ClientError) as excinfo:
        mturk.get_qualification_type(QualificationTypeId=qtype)
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.QualificationTypeDoesNotExist"
    make_type(mturk)


def test_system_types_cannot_be_deleted_or_updated(mturk):
    with pytest.raises(ClientError) as excinfo:
        mturk.delete_qualification_type(QualificationTypeId=LOCALE)
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.QualificationTypeDoesNotExist"


def test_it_lists_qualification_types(mturk):
    mine = make_type(mturk, "Zebra spotter", Keywords="zebra")
    every = mturk.list_qualification_types(MustBeRequestable=False, MaxResults=100)
    ids = {q["QualificationTypeId"] for q in every["QualificationTypes"]}
    assert {mine, LOCALE, ADULT, NUMBER_APPROVED, PERCENT_APPROVED, MASTERS_SANDBOX} <= ids
    inactive = make_type(mturk, "Retired", QualificationTypeStatus="Inactive")
    requestable = mturk.list_qualification_types(MustBeRequestable=True)
    assert [q["QualificationTypeId"] for q in requestable["QualificationTypes"]] == [mine]
    owned_all = mturk.list_qualification_types(MustBeRequestable=False, MustBeOwnedByCaller=True)
    assert [q["QualificationTypeId"] for q in owned_all["QualificationTypes"]] == [mine, inactive]
    found = mturk.list_qualification_types(MustBeRequestable=False, Query="zebra")
    assert [q["QualificationTypeId"] for q in found["QualificationTypes"]] == [mine]
    locale = mturk.list_qualification_types(MustBeRequestable=False, Query="Worker_Locale")
    assert [q["QualificationTypeId"] for q in locale["QualificationTypes"]] == [LOCALE]


def test_it_associates_scores_and_lists_workers(mturk, emulator):
    qtype = make_type(mturk)
    worker = known_worker(emulator)
    mturk.associate_qualification_with_worker(
        QualificationTypeId=qtype, WorkerId=worker, IntegerValue=42, SendNotification=False
    )
    score = mturk.get_qualification_score(QualificationTypeId=qtype, WorkerId=worker)
    assert score["Qualification"]["IntegerValue"] == 42
    assert score["Qualification"]["Status"] == "Granted"
    listed = mturk.list_workers_with_qualification_type(QualificationTypeId=qtype)
    assert [q["WorkerId"] for q in listed["Qualifications"]] == [worker]
    mturk.disassociate_qualification_from_worker(
        QualificationTypeId=qtype, WorkerId=worker, Reason="Left the lab"
    )
    revoked = mturk.list_workers_with_qualification_type(
        QualificationTypeId=qtype, Status="Revoked"
    )
    assert [q["WorkerId"] for q in revoked["Qualifications"]] == [worker]
    granted = mturk.list_workers_with_qualification_type(
        QualificationTypeId=qtype, Status="Granted"
    )
    assert granted["NumResults"] == 0


def test_it_defaults_the_integer_value_to_one(mturk, emulator):
    qtype = make_type(mturk)
    worker = known_worker(emulator)
    mturk.associate_qualification_with_worker(QualificationTypeId=qtype, WorkerId=worker)
    score = mturk.get_qualification_score(QualificationTypeId=qtype, WorkerId=worker)
    assert score["Qualification"]["IntegerValue"] == 1


def test_score_errors(mturk, emulator):
    qtype = make_type(mturk)
    worker = known_worker(emulator)
    with pytest.raises(ClientError) as excinfo:
        mturk.get_qualification_score(QualificationTypeId=qtype, WorkerId=worker)
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.QualificationDoesNotExist"
    with pytest.raises(ClientError) as excinfo:
        mturk.disassociate_qualification_from_worker(QualificationTypeId=qtype, WorkerId=worker)
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.QualificationDoesNotExist"
    with pytest.raises(ClientError) as excinfo:
        mturk.associate_qualification_with_worker(
            QualificationTypeId=qtype, WorkerId="ANEVERSEENWORKER"
        )
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.WorkerDoesNotExist"
    with pytest.raises(ClientError) as excinfo:
        mturk.associate_qualification_with_worker(QualificationTypeId=LOCALE, WorkerId=worker)
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.InvalidParameterValue"


def test_qualification_requests_are_listed_accepted_and_rejected(mturk, emulator):
    qtype = make_type(mturk)
    first, second = known_worker(emulator), known_worker(emulator)
    emulator.request_qualification(first, qtype)
    emulator.request_qualification(second, qtype)
    requests = mturk.list_qualification_requests(QualificationTypeId=qtype)["QualificationRequests"]
    assert [r["WorkerId"] for r in requests] == [first, second]
    assert "SubmitTime" in requests[0]
    mturk.accept_qualification_request(
        QualificationRequestId=requests[0]["QualificationRequestId"], IntegerValue=90
    )
    mturk.reject_qualification_request(
        QualificationRequestId=requests[1]["QualificationRequestId"], Reason="Not yet"
    )
    score = mturk.get_qualification_score(QualificationTypeId=qtype, WorkerId=first)
    assert score["Qualification"]["IntegerValue"] == 90
    assert mturk.list_qualification_requests()["NumResults"] == 0
    with pytest.raises(ClientError) as excinfo:
        mturk.accept_qualification_request(
            QualificationRequestId=requests[1]["QualificationRequestId"]
        )
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.QualificationRequestDoesNotExist"


def test_auto_granted_and_tested_requests_are_answered_at_once(mturk, emulator):
    auto = make_type(mturk, "Auto", AutoGranted=True, AutoGrantedValue=5)
    tested = make_type(
        mturk, "Tested", Test=selection_test(), AnswerKey=ANSWER_KEY, TestDurationInSeconds=60
    )
    worker = known_worker(emulator)
    assert emulator.request_qualification(worker, auto)["IntegerValue"] == 5
    from .conftest import answer_xml_selecting

    result = emulator.request_qualification(worker, tested, answer_xml_selecting("q1", "b"))
    assert result["IntegerValue"] == 10
    score = mturk.get_qualification_score(QualificationTypeId=tested, WorkerId=worker)
    assert score["Qualification"]["IntegerValue"] == 10


def test_retries_follow_the_retry_delay(mturk, emulator):
    once = make_type(mturk, "Once")
    retry = make_type(mturk, "Retry", RetryDelayInSeconds=600)
    worker = known_worker(emulator)
    for qtype in (once, retry):
        request = emulator.request_qualification(worker, qtype)
        mturk.reject_qualification_request(QualificationRequestId=request["QualificationRequestId"])
    with pytest.raises(EmulatorControlError):
        emulator.request_qualification(worker, once)
    with pytest.raises(EmulatorControlError):
        emulator.request_qualification(worker, retry)
    emulator.advance(601)
    assert emulator.request_qualification(worker, retry)["Status"] == "Pending"


# --- requirements enforced on workers -------------------------------------------------------


def requirement(qtype: str, comparator: str, **values) -> dict:
    return {"QualificationTypeId": qtype, "Comparator": comparator, **values}


@pytest.mark.parametrize(
    ("comparator", "values", "score", "allowed"),
    [
        ("LessThan", [10], 9, True),
        ("LessThan", [10], 10, False),
        ("LessThanOrEqualTo", [10], 10, True),
        ("LessThanOrEqualTo", [10], 11, False),
        ("GreaterThan", [10], 11, True),
        ("GreaterThan", [10], 10, False),
        ("GreaterThanOrEqualTo", [10], 10, True),
        ("GreaterThanOrEqualTo", [10], 9, False),
        ("EqualTo", [10], 10, True),
        ("EqualTo", [10], 11, False),
        ("NotEqualTo", [10], 11, True),
        ("NotEqualTo", [10], 10, False),
        ("In", [1, 2, 3], 2, True),
        ("In", [1, 2, 3], 4, False),
        ("NotIn", [1, 2, 3], 4, True),
        ("NotIn", [1, 2, 3], 3, False),
        ("Exists", None, 0, True),
        ("Exists", None, None, False),
        ("DoesNotExist", None, None, True),
        ("DoesNotExist", None, 5, False),
        ("GreaterThan", [0], None, False),
    ],
)
def test_all_ten_comparators_are_enforced_on_accept(
    mturk, emulator, comparator, values, score, allowed
):
    qtype = make_type(mturk)
    req = requirement(qtype, comparator, **({"IntegerValues": values} if values else {}))
    hit = create_hit(mturk, QualificationRequirements=[req])
    worker = known_worker(emulator)
    if score is not None:
        mturk.associate_qualification_with_worker(
            QualificationTypeId=qtype, WorkerId=worker, IntegerValue=score
        )
    if allowed:
        assert emulator.accept(worker, hit["HITId"])
    else:
        with pytest.raises(EmulatorControlError) as excinfo:
            emulator.accept(worker, hit["HITId"])
        assert excinfo.value.payload["error"] == "NotQualified"


@pytest.mark.parametrize(
    ("comparator", "locales", "worker_locale", "allowed"),
    [
        ("EqualTo", [{"Country": "US"}], {"Country": "US", "Subdivision": "CA"}, True),
        ("EqualTo", [{"Country": "US"}], {"Country": "GB"}, False),
        (
            "EqualTo",
            [{"Country": "US", "Subdivision": "NY"}],
            {"Country": "US", "Subdivision": "CA"},
            False,
        ),
        ("NotEqualTo", [{"Country": "US"}], {"Country": "GB"}, True),
        (
            "In",
            [{"Country": "US", "Subdivision": "CA"}, {"Country": "GB"}],
            {"Country": "US", "Subdivision": "CA"},
            True,
        ),
        ("In", [{"Country": "DE"}, {"Country": "GB"}], {"Country": "US"}, False),
        ("NotIn", [{"Country": "DE"}, {"Country": "GB"}], {"Country": "FR"}, True),
        ("NotIn", [{"Country": "DE"}, {"Country": "FR"}], {"Country": "FR"}, False),
    ],
)
def test_locale_requirements_with_subdivisions(
    mturk, emulator, comparator, locales, worker_locale, allowed
):
    hit = create_hit(
        mturk, QualificationRequirements=[requirement(LOCALE, comparator, LocaleValues=locales)]
    )
    worker = known_worker(emulator, Locale=worker_locale)
    if allowed:
        assert emulator.accept(worker, hit["HITId"])
    else:
        with pytest.raises(EmulatorControlError):
            emulator.accept(worker, hit["HITId"])


def test_system_qualifications_are_enforced(mturk, emulator):
    hit = create_hit(
        mturk,
        MaxAssignments=5,
        QualificationRequirements=[
            requirement(NUMBER_APPROVED, "GreaterThanOrEqualTo", IntegerValues=[1000]),
            requirement(PERCENT_APPROVED, "GreaterThanOrEqualTo", IntegerValues=[95]),
            requirement(ADULT, "EqualTo", IntegerValues=[1]),
            requirement(MASTERS_SANDBOX, "Exists"),
        ],
    )
    good = known_worker(
        emulator, NumberHITsApproved=5000, PercentAssignmentsApproved=99, Masters=True
    )
    assert emulator.accept(good, hit["HITId"])
    for attributes in (
        {"NumberHITsApproved": 10, "PercentAssignmentsApproved": 99, "Masters": True},
        {"NumberHITsApproved": 5000, "PercentAssignmentsApproved": 80, "Masters": True},
        {"NumberHITsApproved": 5000, "PercentAssignmentsApproved": 99, "Masters": False},
        {
            "NumberHITsApproved": 5000,
            "PercentAssignmentsApproved": 99,
            "Masters": True,
            "Adult": False,
        },
    ):
        with pytest.raises(EmulatorControlError):
            emulator.accept(known_worker(emulator, **attributes), hit["HITId"])


def test_production_masters_id_is_usable(mturk):
    hit = create_hit(mturk, QualificationRequirements=[requirement(MASTERS, "Exists")])
    assert hit["QualificationRequirements"][0]["QualificationTypeId"] == MASTERS


def test_number_of_hits_approved_counts_real_approvals(mturk, emulator):
    worker = known_worker(emulator)
    first = create_hit(mturk)
    assignment = emulator.accept(worker, first["HITId"])
    emulator.submit(assignment, {"a": "b"})
    gated = create_hit(
        mturk,
        QualificationRequirements=[requirement(NUMBER_APPROVED, "GreaterThan", IntegerValues=[0])],
    )
    with pytest.raises(EmulatorControlError):
        emulator.accept(worker, gated["HITId"])
    mturk.approve_assignment(AssignmentId=assignment)
    assert emulator.accept(worker, gated["HITId"])


def test_preview_is_guarded_only_when_asked(mturk, emulator):
    qtype = make_type(mturk)
    guarded = create_hit(
        mturk,
        QualificationRequirements=[requirement(qtype, "Exists", ActionsGuarded="PreviewAndAccept")],
    )
    deprecated = create_hit(
        mturk, QualificationRequirements=[requirement(qtype, "Exists", RequiredToPreview=True)]
    )
    accept_only = create_hit(mturk, QualificationRequirements=[requirement(qtype, "Exists")])
    worker = known_worker(emulator)
    for hit in (guarded, deprecated):
        with pytest.raises(EmulatorControlError) as excinfo:
            emulator.request("POST", "preview", {"WorkerId": worker, "HITId": hit["HITId"]})
        assert excinfo.value.payload["error"] == "NotQualified"
    preview = emulator.request(
        "POST", "preview", {"WorkerId": worker, "HITId": accept_only["HITId"]}
    )
    assert "HTMLQuestion" in preview["Question"]
    with pytest.raises(EmulatorControlError):
        emulator.accept(worker, accept_only["HITId"])


def test_discover_guard_hides_hits_from_the_worker(mturk, emulator):
    qtype = make_type(mturk)
    hidden = create_hit(
        mturk,
        QualificationRequirements=[
            requirement(qtype, "Exists", ActionsGuarded="DiscoverPreviewAndAccept")
        ],
    )
    visible = create_hit(mturk)
    worker = known_worker(emulator)
    available = emulator.request("GET", f"available?worker={worker}")["HITIds"]
    assert visible["HITId"] in available
    assert hidden["HITId"] not in available


@pytest.mark.parametrize(
    ("req", "named"),
    [
        (requirement(LOCALE, "GreaterThan", IntegerValues=[1]), "Worker_Locale"),
        (requirement(ADULT, "EqualTo", LocaleValues=[{"Country": "US"}]), "LocaleValues"),
        (requirement(ADULT, "Exists", IntegerValues=[1]), "Exists"),
        (requirement(ADULT, "GreaterThan"), "IntegerValue"),
        (requirement(ADULT, "EqualTo", IntegerValues=[1, 2]), "EqualTo"),
        (requirement(ADULT, "In", IntegerValues=list(range(16))), "15"),
        (requirement(LOCALE, "In"), "In"),
    ],
)
def test_it_checks_requirement_structures(mturk, req, named):
    with pytest.raises(ClientError) as excinfo:
        create_hit(mturk, QualificationRequirements=[req])
    assert named in error_of(excinfo)[2]


def test_at_most_ten_requirements(mturk):
    qtypes = [make_type(mturk, f"Q{i}") for i in range(11)]
    with pytest.raises(ClientError) as excinfo:
        create_hit(mturk, QualificationRequirements=[requirement(q, "Exists") for q in qtypes])
    assert error_of(excinfo)[1] == "AWS.ParameterOutOfRange"


def test_update_checks_its_settings_and_ownership(mturk):
    qtype = make_type(mturk)
    with pytest.raises(ClientError) as excinfo:
        mturk.update_qualification_type(QualificationTypeId=qtype, Test=selection_test())
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.MissingParameter"
    assert "TestDurationInSeconds" in error_of(excinfo)[2]
    updated = mturk.update_qualification_type(
        QualificationTypeId=qtype, Test=selection_test(), TestDurationInSeconds=120
    )["QualificationType"]
    assert updated["TestDurationInSeconds"] == 120
    with pytest.raises(ClientError) as excinfo:
        mturk.update_qualification_type(QualificationTypeId=LOCALE, Description="mine now")
    assert error_of(excinfo)[1] == "AWS.MechanicalTurk.QualificationTypeDoesNotExist"


def test_workers_with_a_qualification_are_listed_in_pages(mturk, emulator):
    qtype = make_type(mturk)
    workers = [known_worker(emulator) for _ in range(3)]
    for worker in workers:
        mturk.associate_qualification_with_worker(QualificationTypeId=qtype, WorkerId=worker)
    first = mturk.list_workers_with_qualification_type(QualificationTypeId=qtype, MaxResults=2)
    rest = mturk.list_workers_with_qualification_type(
        QualificationTypeId=qtype, MaxResults=2, NextToken=first["NextToken"]
    )
    listed = [q["WorkerId"] for q in first["Qualifications"] + rest["Qualifications"]]
    assert listed == workers
