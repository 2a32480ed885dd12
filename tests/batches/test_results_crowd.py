"""A crowd-form batch's results: every element's answer reaches the review card, the results CSV
(flattened, and MTurk's own `Answer.taskAnswers` column as the worker's form sent it) and JSON
Lines (the answer object whole) without loss."""

from __future__ import annotations

import csv
import io
import json

import pytest

from apps.hits.models import Assignment
from apps.mturk.answers import task_answers_text
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project
from tests.batches.test_views import eager, launch

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["eager"]  # the fixture launches run their tasks at once

TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
<crowd-bounding-box name="box" src="${image_url}" labels="['Cat', 'Dog']"></crowd-bounding-box>
<crowd-semantic-segmentation name="paint" src="${image_url}" labels="['Cat']">
</crowd-semantic-segmentation>
<crowd-entity-annotation name="ner" text="${caption}" labels="[{label: 'person'}]">
</crowd-entity-annotation>
<crowd-classifier-multi-select name="topics" categories="['a', 'b', 'c']">
</crowd-classifier-multi-select>
<crowd-slider name="score" min="1" max="5"></crowd-slider>
</crowd-form>"""
CSV = "image_url,caption\nhttps://example.org/cat.png,Grace Hopper met Alan Turing\n"


@pytest.fixture
def worked(login, carol, local_account, emulator, eager):
    project = make_project(local_account, carol, template=TEMPLATE, name="Boxes")
    batch = make_batch(project, carol, CSV)
    client = login(carol)
    launch(client, batch)
    hit_id = batch.rows.get(index=0).hit_mturk_id
    emulator.crowd_work(HITIds=[hit_id], assignments=1, profile="diligent", seed="export")
    requester_sync(requester=local_account)
    return client, batch, Assignment.objects.get(hit__mturk_id=hit_id)


def test_the_parsed_answer_keeps_the_whole_object_and_its_flattened_fields(worked):
    _, _, assignment = worked
    sent = task_answers_text(assignment.answer_xml)
    assert json.loads(sent) == [assignment.task_answers]
    answer = assignment.task_answers
    assert set(answer) == {"box", "paint", "ner", "topics", "score"}
    assert isinstance(answer["score"], int)  # a number stays a number
    first = answer["box"]["boundingBoxes"][0]
    assert assignment.answers["box.boundingBoxes.0.left"] == str(first["left"])
    assert assignment.answers["box.inputImageProperties.width"] == "800"
    entity = answer["ner"]["entities"][0]
    assert assignment.answers["ner.entities.0.startOffset"] == str(entity["startOffset"])


def test_results_csv_has_mturks_task_answers_column_as_sent(worked):
    client, batch, assignment = worked
    response = client.get(f"/batches/{batch.pk}/results.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Answer.taskAnswers"] == task_answers_text(assignment.answer_xml)
    assert json.loads(record["Answer.taskAnswers"]) == [assignment.task_answers]
    box = assignment.task_answers["box"]["boundingBoxes"][0]
    assert record["Answer.box.boundingBoxes.0.label"] == box["label"]
    assert record["Answer.score"] == str(assignment.task_answers["score"])
    assert "Answer.paint.labeledImage.pngImageData" in rows[0]


def test_json_lines_carry_the_answer_object_whole(worked):
    client, batch, assignment = worked
    lines = b"".join(client.get(f"/batches/{batch.pk}/results.jsonl").streaming_content)
    (record,) = [json.loads(line) for line in lines.decode().splitlines()]
    assert record["taskAnswers"] == assignment.task_answers
    assert record["taskAnswers"]["paint"]["labelMappings"]["Cat"] == {"color": "#1f77b4"}
    assert record["Answer"]["topics.labels"] == assignment.task_answers["topics"]["labels"]


def test_the_review_card_reads_every_element_and_draws_the_painted_image(worked):
    client, _, assignment = worked
    page = client.get(f"/review/?hit={assignment.hit.mturk_id}&status=").content.decode()
    box = assignment.task_answers["box"]["boundingBoxes"][0]
    assert "box.boundingBoxes.0.label" in page and box["label"] in page
    assert "ner.entities.0.label" in page
    assert "A PNG image of" in page
    png = assignment.answers["paint.labeledImage.pngImageData"]
    # Drawn over the image once, and summed up in the list of fields, not dumped there.
    assert page.count(png) == 1 and f'href="data:image/png;base64,{png}"' in page
