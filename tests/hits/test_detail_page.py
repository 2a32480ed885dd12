"""The HIT page as a requester reads it: the reward in dollars, durations in words and the
requirements by name, never as raw qualification type ids."""

from __future__ import annotations

import pytest

from apps.hits.models import HIT
from apps.mturk.constants import QUAL_LOCALE, QUAL_PERCENT_APPROVED
from apps.sync.services import requester_sync
from tests.helpers import create_hit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hit(local_account, account_mturk, emulator):
    own = account_mturk.create_qualification_type(
        Name="Did <b>study</b> 1", Description="Took part", QualificationTypeStatus="Active"
    )["QualificationType"]["QualificationTypeId"]
    made = create_hit(
        account_mturk,
        Title="Find the dog",
        Reward="1.5",
        AssignmentDurationInSeconds=5_400,
        AutoApprovalDelayInSeconds=259_200,
        QualificationRequirements=[
            {
                "QualificationTypeId": QUAL_PERCENT_APPROVED,
                "Comparator": "GreaterThanOrEqualTo",
                "IntegerValues": [95],
            },
            {
                "QualificationTypeId": QUAL_LOCALE,
                "Comparator": "EqualTo",
                "LocaleValues": [{"Country": "US"}],
            },
            {
                "QualificationTypeId": own,
                "Comparator": "DoesNotExist",
                "ActionsGuarded": "DiscoverPreviewAndAccept",
            },
        ],
    )
    requester_sync(requester=local_account, full=True)
    hit = HIT.objects.get(mturk_id=made["HITId"])
    hit.own_type_id = own
    return hit


def test_it_shows_requirements_by_name_and_durations_in_words(login, victor, hit):
    page = login(victor).get(f"/hits/{hit.pk}/").content.decode()

    assert "Approval rate &gt;= 95%" in page
    assert "Location is US" in page
    assert (
        "Did &lt;b&gt;study&lt;/b&gt; 1 does not exist (needed to find, preview and accept)" in page
    )
    assert hit.own_type_id not in page and QUAL_PERCENT_APPROVED not in page
    assert "<dt>Time allotted</dt><dd>1 hour 30 minutes</dd>" in page
    assert "<dt>Auto-approval after</dt><dd>3 days</dd>" in page
    assert "<dt>Reward</dt><dd>$1.50</dd>" in page


def test_the_list_shows_rewards_with_two_decimals(login, victor, hit):
    page = login(victor).get("/hits/").content.decode()

    assert '<td class="num">$1.50</td>' in page
