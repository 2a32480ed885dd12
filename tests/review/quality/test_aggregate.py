"""Aggregated results per task kind, on batches whose answers are written by hand (no MTurk):
labels by Dawid-Skene despite spammers, multi-labels per option, flags, transcripts by ROVER,
numbers by median, entity spans by characters, and hostile answers that do not raise."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.hits.models import HIT, Assignment, AssignmentStatus, HITStatus
from apps.review.quality.aggregate import (
    batch_aggregate,
    categorical_consensus,
    entities_consensus,
    number_consensus,
    text_consensus,
    text_similarity,
    word_edit_distance,
)
from tests.batches.conftest import make_batch, make_project

pytestmark = pytest.mark.django_db

FORM = """<form name="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" name="assignmentId" value="">
{body}
<input type="submit"></form>"""


@pytest.fixture(autouse=True)
def _scratch(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def hand_batch(account, user, template: str, csv_text: str, answers: list[list[dict]]):
    """A batch whose row i's HIT has one assignment per entry of answers[i]: each a dict with
    `worker`, and `answers` (flattened form answers) and/or `task` (a crowd-form's object), and
    optionally `status`."""
    project = make_project(account, user, template=template, max_assignments=5)
    batch = make_batch(project, user, csv_text)
    batch.hit_type_mturk_id = "HITTYPE" + batch.launch_key
    batch.save(update_fields=["hit_type_mturk_id"])
    start = timezone.now() - timedelta(hours=1)
    for row, given in zip(batch.rows.order_by("index"), answers, strict=True):
        hit = HIT.objects.create(
            requester=account,
            mturk_id=f"HIT{batch.pk}X{row.index:04d}",
            hit_type_mturk_id=batch.hit_type_mturk_id,
            title="Hand-made",
            status=HITStatus.REVIEWABLE,
            reward=Decimal("0.10"),
            max_assignments=len(given),
            batch_key=batch.launch_key,
        )
        row.hit_mturk_id, row.hit = hit.mturk_id, hit
        row.save(update_fields=["hit_mturk_id", "hit"])
        for n, item in enumerate(given):
            Assignment.objects.create(
                requester=account,
                mturk_id=f"{hit.mturk_id}A{n:03d}",
                hit=hit,
                worker_id=item["worker"],
                status=item.get("status", AssignmentStatus.SUBMITTED),
                submit_time=start + timedelta(seconds=10 * n),
                answers=item.get("answers", {}),
                task_answers=item.get("task"),
                batch_key=batch.launch_key,
            )
    return batch


def rows(n: int) -> str:
    return "n\n" + "".join(f"{i}\n" for i in range(n))


LABEL = FORM.format(
    body="""<p>Which animal?</p>
<label><input type="radio" name="animal" value="cat"> Cat</label>
<label><input type="radio" name="animal" value="dog"> Dog</label>
<label><input type="radio" name="animal" value="bird"> Bird</label>"""
)


def _spammed(n: int = 20):
    """Two careful workers (one always right, one right 9 times in 10) and three spammers: two
    who pick at random, one who always says dog."""
    rng = random.Random(3)
    labels = ["cat", "dog", "bird"]
    truth = [rng.choice(labels) for _ in range(n)]
    answers = []
    for right in truth:
        answers.append(
            [
                {"worker": "AGOOD1", "answers": {"animal": right}},
                {
                    "worker": "AGOOD2",
                    "answers": {"animal": right if rng.random() < 0.9 else rng.choice(labels)},
                },
                {"worker": "ASPAM1", "answers": {"animal": rng.choice(labels)}},
                {"worker": "ASPAM2", "answers": {"animal": rng.choice(labels)}},
                {"worker": "ASPAM3", "answers": {"animal": "dog"}},
            ]
        )
    return truth, answers


def test_it_finds_the_truth_despite_the_spammers_better_than_a_majority(account, carol):
    truth, answers = _spammed()
    batch = hand_batch(account, carol, LABEL, rows(len(truth)), answers)
    hits = list(batch.rows.order_by("index").values_list("hit_mturk_id", flat=True))

    def accuracy(result):
        return sum(result.items[h]["animal"].value == t for h, t in zip(hits, truth, strict=True))

    ds, majority = batch_aggregate(batch), batch_aggregate(batch, method="majority")
    assert ds.fields == [("animal", "label", "Dawid-Skene")]
    assert majority.fields == [("animal", "label", "Majority vote")]
    assert accuracy(ds) == len(truth) > accuracy(majority)
    first = ds.items[hits[0]]["animal"]
    assert first.answers == 5 and first.kind == "label"
    assert 0.5 < first.confidence <= 1  # DS's posterior of the label it chose
    share = sum(a["answers"]["animal"] == first.value for a in answers[0]) / 5
    assert first.agreement == pytest.approx(share)
    assert accuracy(batch_aggregate(batch, method="mace")) == len(truth)


def test_an_item_with_one_or_two_answers_takes_their_majority_and_says_so():
    tasks = {
        "h1": [("A", "dog"), ("B", "cat")],
        "h2": [("A", "cat")],
        "h3": [("A", "cat"), ("B", "cat"), ("C", "dog")],
        **{
            f"h{n}": [(worker, "dog" if n % 2 else "cat") for worker in "ABC"] for n in range(4, 14)
        },
    }
    decided = categorical_consensus(tasks, {"h1": ["cat", "dog"]}, "dawid_skene")
    assert decided["h1"][:3] == ("cat", 0.5, "Majority vote")  # a tie: the first option
    assert decided["h2"][:3] == ("cat", 1.0, "Majority vote")
    assert decided["h3"][0] == "cat" and decided["h3"][2] == "Dawid-Skene"


def test_workers_on_too_few_items_for_a_model_give_each_item_its_majority():
    """Each worker answered one item: Dawid-Skene cannot learn how anyone errs, and would follow
    the labels' overall frequency against an item's own votes."""
    tasks = {
        "agreed": [("A1", "cat"), ("A2", "cat"), ("A3", "cat")],
        "split": [("B1", "cat"), ("B2", "dog"), ("B3", "dog"), ("B4", "dog"), ("B5", "dog")],
        "other": [("C1", "cat"), ("C2", "cat"), ("C3", "dog")],
    }
    decided = categorical_consensus(tasks, {}, "dawid_skene")
    assert decided["split"][:3] == ("dog", 0.8, "Majority vote")
    assert decided["other"][:3] == (
        "cat",
        pytest.approx(2 / 3),
        "Majority vote",
    )


def test_rejected_work_does_not_count(account, carol):
    answers = [
        [
            {"worker": "A1", "answers": {"animal": "cat"}},
            {"worker": "A2", "answers": {"animal": "dog"}, "status": AssignmentStatus.REJECTED},
            {"worker": "A3", "answers": {"animal": "dog"}, "status": AssignmentStatus.REJECTED},
            {"worker": "A4", "answers": {"animal": "cat"}, "status": AssignmentStatus.APPROVED},
        ]
    ]
    batch = hand_batch(account, carol, LABEL, rows(1), answers)
    ((_, fields),) = batch_aggregate(batch).items.items()
    result = fields["animal"]
    assert (result.value, result.answers, result.agreement) == ("cat", 2, 1.0)
    assert result.method == "Majority vote" and result.confidence == 1.0
    assert batch_aggregate(batch).fields[0][2] == (
        "Dawid-Skene, majority vote for items with fewer than 3 answers or workers on fewer "
        "than 10 items"
    )


MULTI = """<crowd-form>
<crowd-classifier-multi-select name="topics" categories="['sport', 'politics', 'science']"
  header="Topics"></crowd-classifier-multi-select>
<crowd-toggle-button name="urgent"></crowd-toggle-button>
<crowd-slider name="score" min="0" max="10"></crowd-slider>
<crowd-entity-annotation name="ner" text="${text}" labels="[{label: 'person'}, {label: 'place'}]">
</crowd-entity-annotation>
</crowd-form>"""
SENTENCE = "Grace Hopper met Alan Turing in London"


def _crowd(worker, topics, urgent, score, spans):
    return {
        "worker": worker,
        "task": {
            "topics": {"labels": topics},
            "urgent": {"on": urgent},
            "score": score,
            "ner": {
                "entities": [
                    {"label": label, "startOffset": start, "endOffset": end}
                    for label, start, end in spans
                ]
            },
        },
    }


def test_multi_labels_flags_numbers_and_entities(account, carol):
    grace, alan, london = ("person", 0, 12), ("person", 17, 28), ("place", 32, 38)
    answers = [
        [
            _crowd("A1", ["sport", "science"], True, 7, [grace, alan, london]),
            _crowd("A2", ["sport"], True, 8, [grace, alan, london]),
            _crowd("A3", ["sport", "science", "politics"], False, 7, [grace, ("place", 17, 28)]),
            _crowd("A4", ["science"], True, 9, [("person", 0, 16), alan, london]),
        ]
    ]
    batch = hand_batch(account, carol, MULTI, f"text\n{SENTENCE}\n", answers)
    result = batch_aggregate(batch)
    assert [(name, kind) for name, kind, _ in result.fields] == [
        ("topics", "labels"),
        ("urgent", "flag"),
        ("score", "number"),
        ("ner", "entities"),
    ]
    ((_, fields),) = result.items.items()
    topics = fields["topics"]
    assert topics.value == ["sport", "science"]  # 3 of 4 each; politics 1 of 4
    assert set(topics.label_confidence) == {"sport", "politics", "science"}
    assert topics.label_confidence["politics"] < 0.5 < topics.label_confidence["sport"]
    assert topics.agreement == pytest.approx((3 / 4 + 3 / 4 + 3 / 4) / 3)
    assert fields["urgent"].value is True and fields["urgent"].agreement == 0.75
    score = fields["score"]
    assert score.value == 7.5
    assert score.agreement == pytest.approx(1 - (8.25 - 7) / 10)  # IQR over the slider's 0..10
    ner = fields["ner"]
    assert ner.value == [
        {"label": "person", "start": 0, "end": 12},
        {"label": "person", "start": 17, "end": 28},
        {"label": "place", "start": 32, "end": 38},
    ]
    assert [SENTENCE[e["start"] : e["end"]] for e in ner.value] == [
        "Grace Hopper",
        "Alan Turing",
        "London",
    ]
    assert 0 < ner.agreement < 1 and ner.confidence > 0.7


def test_rover_mends_three_transcripts_with_one_word_wrong_in_each():
    texts = [
        "the quick brown fox jumps over the lazy dog",
        "the quick brown fax jumps over the lazy dog",
        "the quick brown fox jumps over a lazy dog",
    ]
    texts[0] = texts[0].replace("quick", "quack")
    value, confidence, agreement, method = text_consensus(texts)
    assert (value, method) == ("the quick brown fox jumps over the lazy dog", "ROVER")
    assert agreement == pytest.approx(1 - 2 / 9)  # every pair differs by two words
    assert confidence == pytest.approx(1 - 1 / 9)


def test_fewer_than_three_texts_take_the_most_common_one_case_and_spaces_folded():
    assert text_consensus(["Hello  world", "hello world"])[0] == "Hello world"
    value, confidence, agreement, method = text_consensus(["yes", "no"])
    assert (value, confidence, agreement, method) == ("yes", 0.5, 0.0, "Most common text")


def test_word_edit_distance():
    assert word_edit_distance(["a", "b", "c"], ["a", "b", "c"]) == 0
    assert word_edit_distance(["a", "b", "c"], ["a", "c"]) == 1
    assert word_edit_distance(["a", "b", "c", "d"], ["x", "a", "b", "c"]) == 2
    assert word_edit_distance([], ["a", "b"]) == 2
    assert text_similarity("One two", "one TWO") == 1.0


def test_numbers_without_a_range_use_the_answers():
    assert number_consensus([1, 2, 3, 4, 5], None) == (3.0, 0.5)
    assert number_consensus([4, 4], None) == (4.0, 1.0)
    assert number_consensus([4], (0, 10)) == (4.0, None)


def test_entity_characters_need_more_votes_than_none():
    spans, _, agreement = entities_consensus(
        [[{"label": "person", "start": 0, "end": 5}], []], "Grace met"
    )
    assert spans == [] and agreement == 0.0
    spans, confidence, agreement = entities_consensus([[], []], "Grace met")
    assert (spans, confidence, agreement) == ([], None, 1.0)


def test_hostile_answers_do_not_raise(account, carol):
    template = MULTI.replace(
        "</crowd-form>",
        '<crowd-bounding-box name="box" src="x.png" labels="[\'a\']"></crowd-bounding-box>\n<crowd-semantic-segmentation name="paint" src="x.png" labels="[\'a\']"></crowd-semantic-segmentation>\n</crowd-form>',
    )
    hostile = [
        {
            "worker": "A1",
            "task": {
                "topics": "sport",
                "urgent": [1, 2],
                "score": "1e999",
                "ner": {"entities": [{"label": "person", "startOffset": 0, "endOffset": 10**12}]},
                "box": {"boundingBoxes": [{"left": "nan", "top": 0, "width": 1e300, "height": -5}]},
                "paint": {
                    "labeledImage": {"pngImageData": "%%%"},
                    "labelMappings": {"a": {"color": "#zzz"}},
                },
            },
        },
        {
            "worker": "A2",
            "task": {
                "topics": {"labels": [{"x": 1}] * 5000},
                "urgent": "maybe",
                "score": -1e308,
                "ner": {"entities": "all"},
                "box": {"boundingBoxes": [[1, 2]] * 10 + [{"left": 1}]},
                "paint": {"labeledImage": {"pngImageData": None}},
            },
        },
        {"worker": "A3", "task": [1, 2, 3]},
        {"worker": "A4", "answers": {"topics": "x" * 10_000, "score": "12"}, "task": "nope"},
    ]
    batch = hand_batch(account, carol, template, "text\nhi\n", [hostile])
    ((_, fields),) = batch_aggregate(batch).items.items()
    assert fields["score"].value is not None
    assert fields["box"].value == [] or fields["box"].value is None
    assert fields["paint"].value is None and "left out" in fields["paint"].note


def test_a_question_without_a_template_is_read_from_its_answers(account, carol):
    answers = [
        [
            {"worker": "A1", "answers": {"sentiment": "good", "why": "I liked the ending a lot"}},
            {"worker": "A2", "answers": {"sentiment": "good", "why": "the ending"}},
            {"worker": "A3", "answers": {"sentiment": "bad", "why": "too long for me"}},
        ],
        [
            {"worker": "A1", "answers": {"sentiment": "bad", "why": "boring from the start"}},
            {"worker": "A2", "answers": {"sentiment": "bad", "why": "dull"}},
        ],
    ]
    batch = hand_batch(account, carol, "<p>No form at all ${n}</p>", rows(2), answers)
    result = batch_aggregate(batch, method="majority")
    assert [(n, k) for n, k, _ in result.fields] == [("sentiment", "label"), ("why", "text")]
    first, second = (result.items[h] for h in result.items)
    assert first["sentiment"].value == "good" and second["sentiment"].value == "bad"
    assert first["why"].method == "ROVER"


def test_every_hit_has_an_entry_even_without_answers(account, carol):
    batch = hand_batch(account, carol, LABEL, rows(2), [[], [{"worker": "A1", "answers": {}}]])
    result = batch_aggregate(batch)
    assert len(result.items) == 2
    assert all(fields["animal"].value is None for fields in result.items.values())
    assert all(fields["animal"].answers == 0 for fields in result.items.values())


def test_entity_tokens_keep_a_name_whole_and_neighbours_apart():
    text = "Grace Hopper Alan Turing"
    whole = [
        {"label": "person", "start": 0, "end": 12},
        {"label": "person", "start": 13, "end": 24},
    ]
    split = [  # a careless worker: one span per word
        {"label": "person", "start": 0, "end": 5},
        {"label": "person", "start": 6, "end": 12},
    ]
    spans, _, _ = entities_consensus([whole, whole, split], text)
    assert spans == whole  # two names side by side stay two, each whole
    spans, _, _ = entities_consensus([whole, whole, split], "")  # the text unknown
    assert spans == whole
