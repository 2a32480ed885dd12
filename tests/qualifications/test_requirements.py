from __future__ import annotations

import pytest

from apps.mturk import constants
from apps.qualifications.models import QualificationType
from apps.qualifications.requirements import (
    requirement_formset,
    requirements_describe,
    system_types,
)
from apps.requesters.models import Requester
from tests.fixtures.emulator import EmulatorControlError
from tests.helpers import create_hit, new_worker_id

pytestmark = pytest.mark.django_db


def _formset(account, rows):
    data = {
        "req-TOTAL_FORMS": str(len(rows)),
        "req-INITIAL_FORMS": "0",
        "req-MIN_NUM_FORMS": "0",
        "req-MAX_NUM_FORMS": "10",
    }
    for i, (type_id, comparator, values, guard) in enumerate(rows):
        data.update(
            {
                f"req-{i}-qualification_type": type_id,
                f"req-{i}-comparator": comparator,
                f"req-{i}-values": values,
                f"req-{i}-actions_guarded": guard,
            }
        )
    return requirement_formset(data, requester=account, requirements=[])


def test_masters_has_the_right_id_for_each_environment(account):
    assert (constants.QUAL_MASTERS_SANDBOX, "Masters") in system_types(account)
    Requester.objects.filter(pk=account.pk).update(environment="production")
    account.refresh_from_db()
    assert (constants.QUAL_MASTERS_PRODUCTION, "Masters") in system_types(account)


def test_the_builder_makes_wire_shapes_and_a_sentence(account):
    group = QualificationType.objects.create(
        requester=account, mturk_id="G" * 30, name="Did study X"
    )
    formset = _formset(
        account,
        [
            (constants.QUAL_LOCALE, "In", "US, ca, US-NY", ""),
            (constants.QUAL_PERCENT_APPROVED, "GreaterThanOrEqualTo", "95", ""),
            (group.mturk_id, "DoesNotExist", "", "DiscoverPreviewAndAccept"),
        ],
    )
    assert formset.is_valid(), formset.errors
    requirements = formset.requirements()
    assert requirements[0]["LocaleValues"] == [
        {"Country": "US"},
        {"Country": "CA"},
        {"Country": "US", "Subdivision": "NY"},
    ]
    assert requirements[2] == {
        "QualificationTypeId": group.mturk_id,
        "Comparator": "DoesNotExist",
        "ActionsGuarded": "DiscoverPreviewAndAccept",
    }
    assert requirements_describe(requirements, requester=account) == (
        "Workers in US, CA or US-NY, with an approval rate ≥ 95%, who do not have Did study X."
    )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ((constants.QUAL_MASTERS_SANDBOX, "EqualTo", "1", ""), "Masters is required with exists"),
        ((constants.QUAL_ADULT, "EqualTo", "0", ""), "Adult content is required as = 1"),
        ((constants.QUAL_PERCENT_APPROVED, "GreaterThan", "120", ""), "percentage from 0 to 100"),
        ((constants.QUAL_LOCALE, "GreaterThan", "US", ""), "A locale compares with"),
        ((constants.QUAL_NUMBER_HITS_APPROVED, "Exists", "5", ""), "takes no value"),
        (
            (constants.QUAL_NUMBER_HITS_APPROVED, "In", ",".join(str(i) for i in range(16)), ""),
            "At most 15",
        ),
        ((constants.QUAL_NUMBER_HITS_APPROVED, "GreaterThan", "-1", ""), "0 or more"),
        ((constants.QUAL_NUMBER_HITS_APPROVED, "GreaterThan", str(2**31), ""), "32-bit"),
        ((constants.QUAL_LOCALE, "In", "US, 12", ""), "not a locale like US or US-NY"),
        ((constants.QUAL_LOCALE, "EqualTo", "US, CA", ""), "Give one locale"),
        ((constants.QUAL_PERCENT_APPROVED, "GreaterThan", "", ""), "Give one number"),
        ((constants.QUAL_PERCENT_APPROVED, "GreaterThan", "95, 96", ""), "Give one number"),
        ((constants.QUAL_PERCENT_APPROVED, "", "95", ""), "Choose a comparator"),
    ],
)
def test_combinations_mturk_refuses_are_refused(account, row, message):
    formset = _formset(account, [row])
    assert not formset.is_valid()
    assert message in str(formset.errors)


def test_a_qualification_is_required_once(account):
    formset = _formset(
        account,
        [
            (constants.QUAL_PERCENT_APPROVED, "GreaterThan", "90", ""),
            (constants.QUAL_PERCENT_APPROVED, "LessThan", "99", ""),
        ],
    )
    assert not formset.is_valid()
    assert "once per HIT" in str(formset.non_form_errors())


def test_no_requirement_means_any_worker(account):
    assert requirements_describe([], requester=account) == "Any worker."


def test_a_type_being_deleted_cannot_be_required(account):
    QualificationType.objects.create(
        requester=account, mturk_id="D" * 30, name="Old", status="Disposing"
    )
    formset = _formset(account, [("D" * 30, "Exists", "", "")])
    assert not formset.is_valid()
    assert "Select a valid choice" in str(formset.errors)


def test_every_comparator_takes_the_values_it_needs(account):
    own = QualificationType.objects.create(requester=account, mturk_id="O" * 30, name="Skill")
    rows = [
        (constants.QUAL_PERCENT_APPROVED, "GreaterThanOrEqualTo", "98", "Accept"),
        (constants.QUAL_NUMBER_HITS_APPROVED, "GreaterThan", "1000", "PreviewAndAccept"),
        (constants.QUAL_LOCALE, "NotIn", "US-CA, US-NY, GB", "DiscoverPreviewAndAccept"),
        (constants.QUAL_ADULT, "EqualTo", "1", ""),
        (constants.QUAL_MASTERS_SANDBOX, "Exists", "", ""),
        (own.mturk_id, "In", "3, 4, 5", ""),
    ]
    formset = _formset(account, rows)
    assert formset.is_valid(), formset.errors
    requirements = formset.requirements()
    assert requirements[2]["LocaleValues"][0] == {"Country": "US", "Subdivision": "CA"}
    assert [r.get("ActionsGuarded") for r in requirements[:3]] == [
        "Accept",
        "PreviewAndAccept",
        "DiscoverPreviewAndAccept",
    ]
    assert requirements_describe(requirements, requester=account) == (
        "Workers with an approval rate ≥ 98%, with > 1000 HITs approved, not in US-CA, US-NY or "
        "GB, who agreed to adult content, who are Masters, whose Skill is 3, 4 or 5."
    )


@pytest.mark.django_db(transaction=True)
def test_system_type_requirements_built_here_are_enforced_by_mturk(
    local_account, account_mturk, emulator
):
    formset = _formset(
        local_account,
        [
            (constants.QUAL_LOCALE, "In", "US-NY, CA", "DiscoverPreviewAndAccept"),
            (constants.QUAL_PERCENT_APPROVED, "GreaterThanOrEqualTo", "95", ""),
            (constants.QUAL_MASTERS_SANDBOX, "Exists", "", ""),
        ],
    )
    assert formset.is_valid(), formset.errors
    hit = create_hit(
        account_mturk, MaxAssignments=5, QualificationRequirements=formset.requirements()
    )
    workers = {
        "new yorker": {"Locale": {"Country": "US", "Subdivision": "NY"}, "Masters": True},
        "canadian": {"Locale": {"Country": "CA"}, "Masters": True},
        "californian": {"Locale": {"Country": "US", "Subdivision": "CA"}, "Masters": True},
        "careless": {
            "Locale": {"Country": "CA"},
            "Masters": True,
            "PercentAssignmentsApproved": 80,
        },
        "not a master": {"Locale": {"Country": "CA"}, "Masters": False},
    }
    accepted = set()
    for who, attributes in workers.items():
        worker_id = new_worker_id()
        emulator.set_worker(worker_id, **{"PercentAssignmentsApproved": 99, **attributes})
        try:
            emulator.accept(worker_id, hit["HITId"])
            accepted.add(who)
        except EmulatorControlError:
            pass
    assert accepted == {"new yorker", "canadian"}


@pytest.mark.django_db
def test_the_requirements_page_explains_or_says_why_mturk_would_refuse(client, carol, account):
    client.force_login(carol, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/qualifications/requirements/").content.decode()
    assert (
        constants.QUAL_MASTERS_SANDBOX in page and 'hx-get="/qualifications/requirements/"' in page
    )
    query = {
        "req-TOTAL_FORMS": "2",
        "req-INITIAL_FORMS": "0",
        "req-0-qualification_type": constants.QUAL_LOCALE,
        "req-0-comparator": "In",
        "req-0-values": "US, CA",
        "req-1-qualification_type": constants.QUAL_PERCENT_APPROVED,
        "req-1-comparator": "GreaterThanOrEqualTo",
        "req-1-values": "95",
    }
    part = client.get("/qualifications/requirements/", query, HTTP_HX_REQUEST="true")
    text = part.content.decode()
    assert text.lstrip().startswith('<div id="effect"')
    assert "Workers in US or CA, with an approval rate ≥ 95%." in text
    assert "&quot;Comparator&quot;: &quot;In&quot;" in text

    refused = client.get(
        "/qualifications/requirements/", {**query, "req-1-values": "120"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Row 2: An approval rate is a percentage from 0 to 100." in refused
    assert "Workers in" not in refused


def test_a_forged_form_count_makes_no_more_than_ten_forms(account):
    formset = requirement_formset(
        {"req-TOTAL_FORMS": "5000", "req-INITIAL_FORMS": "0"}, requester=account, requirements=[]
    )
    assert len(formset.forms) == 10
    assert not formset.is_valid()
    assert "at most 10" in str(formset.non_form_errors())
