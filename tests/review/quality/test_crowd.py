from __future__ import annotations

import csv
import io

import pytest

from apps.hits.agreement import majority_answers
from apps.hits.models import Assignment, HITType
from apps.review.quality.crowd import categorical_fields, worker_quality
from apps.sync.services import requester_sync
from tests.helpers import create_hit, new_worker_id

pytestmark = pytest.mark.django_db(transaction=True)


def test_majority_needs_more_than_half():
    assert majority_answers([{"c": "Cat"}, {"c": "cat"}, {"c": "dog"}]) == {"c": "cat"}
    assert majority_answers([{"c": "cat"}, {"c": "dog"}]) == {}
    assert majority_answers([{"c": "x" * 300}, {"c": "x" * 300}]) == {}


def test_free_text_is_not_a_category():
    sets = [{"label": "cat", "comment": f"free text number {i}"} for i in range(5)]
    assert categorical_fields(sets) == ["label"]


@pytest.fixture
def labelled(local_account, account_mturk, emulator):
    """Ten images labelled by five workers; the spammer always says 'dog'."""
    careful = [new_worker_id() for _ in range(4)]
    spammer = new_worker_id()
    truth = ["cat", "dog", "cat", "bird", "cat", "dog", "bird", "cat", "cat", "dog"]
    for index, answer in enumerate(truth):
        hit = create_hit(account_mturk, MaxAssignments=5, RequesterAnnotation=f"image {index}")
        for n, worker in enumerate(careful):
            given = answer if (index + n) % 9 else "bird"  # an occasional mistake
            assignment = emulator.accept(worker, hit["HITId"])
            emulator.submit(assignment, answers={"label": given, "comment": f"seen {index} by {n}"})
        assignment = emulator.accept(spammer, hit["HITId"])
        emulator.submit(assignment, answers={"label": "dog", "comment": "x"})
    requester_sync(requester=local_account)
    return careful, spammer


def test_agreement_is_kept_on_each_assignment_and_filters_the_queue(login, bob, labelled):
    _, spammer = labelled
    spam = Assignment.objects.filter(worker_id=spammer)
    assert spam.filter(agreement=0.0).count() == 7  # right only on the 3 dog images
    page = (
        login(bob)
        .get("/review/", {"agreement_below": "50"}, HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert page.count("data-assignment") == Assignment.objects.filter(agreement__lt=0.5).count()
    assert spammer in page


@pytest.mark.parametrize("method", ["dawid_skene", "mace", "majority"])
def test_worker_quality_ranks_the_spammer_last(labelled, local_account, method):
    _, spammer = labelled
    hit_type = HITType.objects.get(requester=local_account)
    report = worker_quality(
        requester=local_account, hit_type_mturk_id=hit_type.mturk_id, method=method
    )
    assert report.fields == ["label"]
    assert report.workers[0].worker_id == spammer
    assert all(w.accuracy >= 0.8 for w in report.workers[1:])
    assert len(report.answers) == 10


def test_the_quality_page_and_the_aggregated_csv(login, bob, labelled, local_account):
    hit_type = HITType.objects.get(requester=local_account)
    client = login(bob)
    page = client.get("/review/quality/", {"hit_type": hit_type.pk}).content.decode()
    assert labelled[1] in page
    response = client.get("/review/quality/", {"hit_type": hit_type.pk, "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["HITId", "Field", "Answer", "Confidence"]
    assert len(rows) == 11
