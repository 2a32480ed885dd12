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
