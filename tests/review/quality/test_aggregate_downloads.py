"""A batch launched on the local MTurk, worked by five simulated workers of mixed profiles who
know each HIT's truth, then its aggregated results downloaded: the CSV holds the truth for the
classification, the box, the entity spans and the transcript; a viewer may download it, another
account's member finds nothing."""

from __future__ import annotations

import csv
import io
import json

import pytest

from apps.review.quality.aggregate import ItemResult
from apps.review.quality.downloads import value_cell
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project
from tests.batches.test_views import eager, launch

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["eager"]  # the fixture launches run their tasks at once

TEMPLATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
<crowd-classifier name="animal" categories="['cat', 'dog', 'bird']" header="Which animal?">
</crowd-classifier>
<crowd-bounding-box name="box" src="${image_url}" labels="['cat', 'dog', 'bird']">
</crowd-bounding-box>
<crowd-entity-annotation name="ner" text="${caption}"
  labels="[{label: 'person'}, {label: 'place'}]"></crowd-entity-annotation>
<p>Type the words written under the picture.</p>
<crowd-input name="transcript" label="Words"></crowd-input>
</crowd-form>"""
CAPTIONS = [
    "Grace Hopper met Alan Turing in London",
    "Ada Lovelace wrote to Charles Babbage",
    "Katherine Johnson worked in Hampton",
]
CSV = "image_url,caption\n" + "".join(
    f"https://example.org/{n}.png,{caption}\n" for n, caption in enumerate(CAPTIONS)
)


def _span(caption: str, words: str, label: str) -> dict:
    start = caption.index(words)
    return {"label": label, "startOffset": start, "endOffset": start + len(words)}


TRUTH = [
    {
        "animal": "cat",
        "box": {
            "boundingBoxes": [{"label": "cat", "left": 120, "top": 80, "width": 240, "height": 180}]
        },
        "ner": {
            "entities": [
                _span(CAPTIONS[0], "Grace Hopper", "person"),
                _span(CAPTIONS[0], "Alan Turing", "person"),
                _span(CAPTIONS[0], "London", "place"),
            ]
        },
        "transcript": "the cat sat on the warm mat",
    },
    {
        "animal": "dog",
        "box": {
            "boundingBoxes": [
                {"label": "dog", "left": 400, "top": 250, "width": 300, "height": 200}
            ]
        },
        "ner": {
            "entities": [
                _span(CAPTIONS[1], "Ada Lovelace", "person"),
                _span(CAPTIONS[1], "Charles Babbage", "person"),
            ]
        },
        "transcript": "a dog runs along the beach at dawn",
    },
    {
        "animal": "bird",
        "box": {
            "boundingBoxes": [{"label": "bird", "left": 50, "top": 300, "width": 100, "height": 90}]
        },
        "ner": {
            "entities": [
                _span(CAPTIONS[2], "Katherine Johnson", "person"),
                _span(CAPTIONS[2], "Hampton", "place"),
            ]
        },
        "transcript": "two birds on a wire",
    },
]
# Three HITs are too few for a model of each worker: the majority decides, so most are good.
CREW = [("diligent", 3), ("careless", 1), ("spammer", 1)]


@pytest.fixture
def worked(login, carol, local_account, emulator, eager):
    project = make_project(
        local_account, carol, template=TEMPLATE, name="Animals", max_assignments=5
    )
    batch = make_batch(project, carol, CSV)
    launch(login(carol), batch)
    hits = [batch.rows.get(index=n).hit_mturk_id for n in range(len(CAPTIONS))]
    for hit_id, truth in zip(hits, TRUTH, strict=True):
        emulator.crowd_truth(hit_id, truth)
    # A plan's `assignments` counts over all its HITs, and its draws repeat from HIT to HIT:
    # one plan per HIT and profile, each with a seed of its own.
    for n, hit_id in enumerate(hits):
        for profile, count in CREW:
            emulator.crowd_work(HITIds=[hit_id], assignments=count, profile=profile, seed=n)
    requester_sync(requester=local_account)
    return batch, hits


def _csv(response) -> list[dict]:
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_aggregated_csv_holds_the_truth(worked, login, victor):
    batch, hits = worked
    client = login(victor)  # a viewer may download, as the raw results
    rows = _csv(client.get(f"/review/batches/{batch.pk}/aggregate.csv"))
    assert [row["HITId"] for row in rows] == hits
    for row, truth, caption in zip(rows, TRUTH, CAPTIONS, strict=True):
        assert row["Input.caption"] == caption
        assert row["animal"] == truth["animal"]
        assert row["animal.answers"] == "5"
        assert 0 < float(row["animal.confidence"]) <= 1
        assert row["transcript"] == truth["transcript"]
        (box,) = json.loads(row["box"])
        (expected,) = truth["box"]["boundingBoxes"]
        assert box["label"] == expected["label"]
        for key in ("left", "top", "width", "height"):
            assert box[key] == pytest.approx(expected[key], abs=4), key
        spans = [(e["label"], e["start"], e["end"]) for e in json.loads(row["ner"])]
        assert spans == [
            (e["label"], e["startOffset"], e["endOffset"]) for e in truth["ner"]["entities"]
        ]
        for field in ("animal", "box", "ner", "transcript"):
            assert 0 <= float(row[f"{field}.agreement"]) < 1  # the spammer disagrees


def test_json_lines_name_each_fields_method_and_a_method_can_be_chosen(worked, login, carol):
    batch, hits = worked
    response = login(carol).get(
        f"/review/batches/{batch.pk}/aggregate.jsonl", {"method": "majority"}
    )
    assert response.status_code == 200
    assert "aggregate-majority.jsonl" in response["Content-Disposition"]
    records = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert [r["HITId"] for r in records] == hits
    first = records[0]["Aggregate"]
    assert first["animal"] | {"confidence": None, "agreement": None} == {
        "kind": "label",
        "value": "cat",
        "confidence": None,
        "agreement": None,
        "answers": 5,
        "method": "Majority vote",
    }
    assert first["box"]["kind"] == "boxes" and first["box"]["support"][0] >= 0.6
    assert first["transcript"]["method"] == "ROVER"


def test_another_accounts_member_finds_nothing(worked, login, charlie):
    batch, _ = worked
    client = login(charlie)
    assert client.get(f"/review/batches/{batch.pk}/aggregate.csv").status_code == 404
    assert client.get(f"/review/batches/{batch.pk}/aggregate.jsonl").status_code == 404


def test_the_batch_page_links_to_both(worked, login, carol):
    batch, _ = worked
    page = login(carol).get(f"/batches/{batch.pk}/").content.decode()
    assert f"/review/batches/{batch.pk}/aggregate.csv" in page
    assert f"/review/batches/{batch.pk}/aggregate.jsonl" in page


@pytest.mark.parametrize(
    ("kind", "value", "cell"),
    [
        ("labels", ["sport", "science"], "sport|science"),
        ("flag", False, "false"),
        ("number", 1234567.0, "1234567"),
        ("number", 7.5, "7.5"),
        ("boxes", [{"label": "cat", "left": 1.5}], '[{"label":"cat","left":1.5}]'),
        ("text", "Grâce", "Grâce"),
        ("label", None, ""),
    ],
)
def test_each_kind_fits_one_cell(kind, value, cell):
    assert value_cell(ItemResult("H", "f", kind, value, None, None, 1)) == cell
