"""The batch page shows the HIT properties it launches with as a requester reads them: the
reward in dollars, durations in words, requirements by name."""

from __future__ import annotations

import pytest

from apps.mturk.constants import QUAL_PERCENT_APPROVED
from apps.qualifications.models import QualificationType
from tests.batches.conftest import make_batch, make_project, rows_csv

pytestmark = pytest.mark.django_db


def test_the_batch_page_names_requirements_and_durations(login, victor, carol, account):
    own = QualificationType.objects.create(
        requester=account, mturk_id="3OWNTYPEAAAAAAAAAAAAAAAAAAAAA1", name="Did study 1"
    )
    project = make_project(
        account,
        carol,
        assignment_duration=600,
        lifetime=259_200,
        qualification_requirements=[
            {
                "QualificationTypeId": QUAL_PERCENT_APPROVED,
                "Comparator": "GreaterThanOrEqualTo",
                "IntegerValues": [95],
            },
            {"QualificationTypeId": own.mturk_id, "Comparator": "DoesNotExist"},
        ],
    )
    batch = make_batch(project, carol, rows_csv(2))

    page = login(victor).get(f"/batches/{batch.pk}/").content.decode()

    assert "Approval rate &gt;= 95%<br>Did study 1 does not exist" in page
    assert own.mturk_id not in page and QUAL_PERCENT_APPROVED not in page
    assert "<dt>Time allotted</dt><dd>10 minutes</dd>" in page
    assert "<dt>Lifetime</dt><dd>3 days</dd>" in page
    assert "<dd>$0.50 \u00d7 1 assignment per HIT</dd>" in page
