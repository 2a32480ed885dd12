"""Requirements by name, as every page lists them: system qualifications in words, the
account's own types by their name, never a raw type id the account knows."""

from __future__ import annotations

import pytest

from apps.mturk.constants import (
    QUAL_ADULT,
    QUAL_LOCALE,
    QUAL_MASTERS_PRODUCTION,
    QUAL_MASTERS_SANDBOX,
    QUAL_NUMBER_HITS_APPROVED,
    QUAL_PERCENT_APPROVED,
)
from apps.qualifications.models import QualificationType
from apps.qualifications.requirements import requirement_label, requirements_labels

pytestmark = pytest.mark.django_db

OWN = "3OWNTYPEAAAAAAAAAAAAAAAAAAAAA1"


@pytest.mark.parametrize(
    ("requirement", "label"),
    [
        (
            {
                "QualificationTypeId": QUAL_PERCENT_APPROVED,
                "Comparator": "GreaterThanOrEqualTo",
                "IntegerValues": [95],
            },
            "Approval rate >= 95%",
        ),
        (
            {
                "QualificationTypeId": QUAL_NUMBER_HITS_APPROVED,
                "Comparator": "GreaterThan",
                "IntegerValues": [1000],
            },
            "HITs approved > 1000",
        ),
        ({"QualificationTypeId": QUAL_MASTERS_PRODUCTION, "Comparator": "Exists"}, "Masters"),
        (
            {"QualificationTypeId": QUAL_MASTERS_SANDBOX, "Comparator": "DoesNotExist"},
            "Not Masters",
        ),
        (
            {
                "QualificationTypeId": QUAL_LOCALE,
                "Comparator": "EqualTo",
                "LocaleValues": [{"Country": "US"}],
            },
            "Location is US",
        ),
        (
            {
                "QualificationTypeId": QUAL_LOCALE,
                "Comparator": "NotIn",
                "LocaleValues": [{"Country": "US", "Subdivision": "NY"}, {"Country": "GB"}],
            },
            "Location is not one of US-NY, GB",
        ),
        (
            {"QualificationTypeId": QUAL_ADULT, "Comparator": "EqualTo", "IntegerValues": [1]},
            "Agreed to adult content",
        ),
        ({"QualificationTypeId": OWN, "Comparator": "Exists"}, "Did study 1 exists"),
        (
            {
                "QualificationTypeId": OWN,
                "Comparator": "DoesNotExist",
                "ActionsGuarded": "DiscoverPreviewAndAccept",
            },
            "Did study 1 does not exist (needed to find, preview and accept)",
        ),
        (
            {"QualificationTypeId": OWN, "Comparator": "In", "IntegerValues": [1, 2]},
            "Did study 1 is one of 1, 2",
        ),
        (
            {"QualificationTypeId": OWN, "Comparator": "LessThan", "IntegerValues": [3]},
            "Did study 1 < 3",
        ),
    ],
)
def test_it_names_each_requirement(requirement, label):
    assert requirement_label(requirement, names={OWN: "Did study 1"}) == label


def test_a_type_the_account_does_not_know_says_so():
    label = requirement_label({"QualificationTypeId": "3XYZ", "Comparator": "Exists"}, names={})
    assert label == "Qualification 3XYZ (not of this account) exists"


def test_names_come_from_the_accounts_own_types_only(account, other_account):
    QualificationType.objects.create(requester=account, mturk_id=OWN, name="Did study 1")
    QualificationType.objects.create(requester=other_account, mturk_id="3THEIRS", name="Theirs")
    requirements = [
        {"QualificationTypeId": OWN, "Comparator": "Exists"},
        {"QualificationTypeId": "3THEIRS", "Comparator": "Exists"},
    ]

    labels = requirements_labels(requirements, requester=account)

    assert labels == ["Did study 1 exists", "Qualification 3THEIRS (not of this account) exists"]


def test_the_group_page_names_the_requirement_a_project_adds(login, carol, account):
    group = QualificationType.objects.create(
        requester=account, mturk_id=OWN, name="Took <i>study</i> 1", group="exclude"
    )

    page = login(carol).get(f"/qualifications/{group.pk}/").content.decode()

    assert (
        "Require “Took &lt;i&gt;study&lt;/i&gt; 1 does not exist (needed to find, preview and "
        "accept)”" in page
    )
    assert "<code>DoesNotExist</code>" not in page
