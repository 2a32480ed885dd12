"""The gallery's starter projects: each one passes the project editor's checks, launches from its
own example CSV, shows media that exist, pays the stated hourly rate, and is answered in the
fields (and gold fields) it promises."""

from __future__ import annotations

import dataclasses
import io
import json
import random
import re
import wave
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import pytest
from defusedxml import ElementTree

from apps.batches import csvinput, starters, templating
from apps.batches.starters import (
    DEFAULT_HOURLY_RATE,
    GROUPS,
    STARTERS,
    Starter,
    StarterError,
    starter_get,
)
from apps.batches.taskspec import task_spec
from apps.emulator.workers.answer_fields import answers_document, html_fields, question_shape
from apps.emulator.workers.elements import element_answer, element_truth
from apps.mturk.answers import parse_answers
from apps.review.quality.gold import answer_matches

ROOT = Path(__file__).resolve().parents[2]
MEDIA_DIR = ROOT / "static" / "starters" / "media"
MEDIA_BASE = "http://127.0.0.1:8000/static/starters/media"
HTML = "html"
SVG = "{http://www.w3.org/2000/svg}"
THREE_DAYS = 3 * 86_400
BY_SLUG = pytest.mark.parametrize("starter", STARTERS, ids=lambda s: s.slug)

# What each starter asks, as the local MTurk reads the filled template: its answer fields.
ANSWER_FIELDS = {
    "survey-link": {"completion_code"},
    "short-survey": {"agreement", "frequency", "improvement"},
    "image-classification": {"animal"},
    "image-classification-multi": {"objects"},
    "image-tagging": {"tags"},
    "bounding-boxes": {"boxes"},
    "keypoints": {"landmarks"},
    "polygons": {"outlines"},
    "semantic-segmentation": {"regions"},
    "instance-segmentation": {"instances"},
    "lane-lines": {"lanes"},
    "image-moderation": {"moderation"},
    "video-classification": {"direction"},
    "document-classification": {"doc_type"},
    "sentiment": {"sentiment"},
    "emotion": {"emotions"},
    "text-classification": {"topic"},
    "text-classification-multi": {"topics"},
    "named-entities": {"entities"},
    "text-similarity": {"similarity"},
    "translation-quality": {"quality"},
    "ab-preference": {"preference", "reason"},
    "search-relevance": {"relevance"},
    "audio-transcription": {"transcript"},
    "audio-classification": {"sound"},
    "data-collection": {"website", "phone", "no_website", "notes"},
    "receipt-transcription": {"merchant", "purchase_date", "total", "notes"},
}

# The tasks issue #17 asks the gallery for: the starter, its kind, and the element it is built on.
ASKED_FOR = {
    "survey-link": ("survey", "crowd-input"),
    "short-survey": ("survey", "crowd-radio-group"),
    "image-classification": ("classification", "crowd-image-classifier"),
    "image-classification-multi": ("multilabel", "crowd-image-classifier-multi-select"),
    "image-tagging": ("tagging", "crowd-input"),
    "bounding-boxes": ("boxes", "crowd-bounding-box"),
    "keypoints": ("keypoints", "crowd-keypoint"),
    "polygons": ("polygons", "crowd-polygon"),
    "semantic-segmentation": ("segmentation", "crowd-semantic-segmentation"),
    "instance-segmentation": ("segmentation", "crowd-instance-segmentation"),
    "lane-lines": ("lines", "crowd-polyline"),
    "image-moderation": ("classification", "crowd-image-classifier"),
    "video-classification": ("classification", "<video"),
    "document-classification": ("classification", "crowd-classifier"),
    "audio-transcription": ("transcription", "<audio"),
    "audio-classification": ("classification", "<audio"),
    "sentiment": ("classification", "crowd-classifier"),
    "emotion": ("multilabel", "crowd-classifier-multi-select"),
    "text-classification": ("classification", "crowd-classifier"),
    "text-classification-multi": ("multilabel", "crowd-classifier-multi-select"),
    "named-entities": ("entities", "crowd-entity-annotation"),
    "text-similarity": ("rating", "crowd-slider"),
    "translation-quality": ("rating", "crowd-slider"),
    "ab-preference": ("ab", "crowd-classifier"),
    "data-collection": ("data", 'type="url"'),
    "receipt-transcription": ("data", "crowd-input"),
}
# Tasks with one right answer carry gold rows.
GOLD = {
    "image-classification",
    "image-classification-multi",
    "image-moderation",
    "video-classification",
    "document-classification",
    "audio-classification",
    "sentiment",
    "text-classification",
    "search-relevance",
}


def _rows(starter: Starter) -> list[dict[str, str]]:
    return starter.example_rows(MEDIA_BASE)


def _question(starter: Starter, row: dict[str, str]) -> str:
    return templating.question(starter.template, row, kind=HTML, frame_height=starter.frame_height)


# --- the gallery -----------------------------------------------------------------------------


def test_it_offers_every_task_the_issue_asks_for_in_every_group():
    assert len(STARTERS) >= 26
    assert {s.group for s in STARTERS} == set(GROUPS)
    for slug, (kind, element) in ASKED_FOR.items():
        starter = starter_get(slug)
        assert starter is not None, slug
        assert starter.kind == kind, slug
        assert element in starter.template, slug


def test_it_lists_the_starters_group_by_group_with_unique_slugs():
    order = [GROUPS.index(s.group) for s in STARTERS]
    assert order == sorted(order)
    assert len({s.slug for s in STARTERS}) == len(STARTERS)
    assert starter_get("bounding-boxes").name == "Bounding boxes"
    assert starter_get("no-such-starter") is None


def test_it_refuses_a_starter_of_an_unknown_kind_naming_it(tmp_path, monkeypatch):
    source = Path(starters.__file__).parent / "sentiment"
    broken = tmp_path / "sentiment"
    broken.mkdir()
    for item in source.iterdir():
        (broken / item.name).write_text(item.read_text(encoding="utf-8"), encoding="utf-8")
    toml = broken / "starter.toml"
    toml.write_text(
        toml.read_text().replace('kind = "classification"', 'kind = "vibes"'), encoding="utf-8"
    )
    monkeypatch.setattr(starters, "_HERE", tmp_path)
    with pytest.raises(StarterError, match=r"'sentiment'.*unknown kind 'vibes'"):
        starters._load("sentiment")


def test_it_refuses_a_starter_missing_a_file_naming_it(tmp_path, monkeypatch):
    (tmp_path / "half-done").mkdir()
    (tmp_path / "half-done" / "starter.toml").write_text('group = "Survey"', encoding="utf-8")
    monkeypatch.setattr(starters, "_HERE", tmp_path)
    with pytest.raises(StarterError, match=r"'half-done'.*template.html is missing"):
        starters._load("half-done")


# --- each starter ----------------------------------------------------------------------------


@BY_SLUG
def test_its_template_passes_the_editors_check_without_a_warning(starter):
    check = templating.check(starter.template, kind=HTML, frame_height=starter.frame_height)
    assert check.errors == []
    assert check.warnings == []
    assert check.raw == []
    assert templating.loads_crowd_script(starter.template)
    assert templating.uses_crowd_form(starter.template)


@BY_SLUG
def test_its_example_csv_has_every_column_the_template_needs_and_hides_the_gold(starter):
    columns = list(_rows(starter)[0])
    variables = templating.variables(starter.template)
    assert set(variables) <= set(columns)
    gold_columns = set(starter.gold_fields.values())
    assert gold_columns <= set(columns)
    assert not gold_columns & set(variables)
    assert 3 <= len(_rows(starter)) <= 6


@BY_SLUG
def test_its_example_csv_reads_cleanly_with_the_batch_reader(starter):
    text = starter.example_csv_text(MEDIA_BASE)
    report = csvinput.read_csv(
        io.BytesIO(text.encode("utf-8")),
        template=starter.template,
        kind=HTML,
        frame_height=starter.frame_height,
        max_rows=100,
    )
    assert report.errors == []
    assert report.warnings == []
    assert report.row_count == len(_rows(starter))


@BY_SLUG
def test_its_media_urls_are_filled_with_the_base(starter):
    for row in starter.example_rows(MEDIA_BASE + "/"):
        for value in row.values():
            assert "{media}" not in value
            if value.startswith("http://127.0.0.1"):
                assert re.fullmatch(re.escape(MEDIA_BASE) + r"/[\w.-]+", value), value
    assert ("{media}" in starter.example_csv) == (
        MEDIA_BASE in starter.example_csv_text(MEDIA_BASE)
    )


@BY_SLUG
def test_each_filled_question_fits_in_mturks_limit(starter):
    for row in _rows(starter):
        assert len(_question(starter, row).encode("utf-8")) < templating.MAX_QUESTION_BYTES
        # Real MTurk's own bound on what it shows, and ours: far below it.
        assert len(templating.fill(starter.template, row, kind=HTML).encode()) < 64_000


@BY_SLUG
def test_the_local_mturk_finds_the_answer_fields_it_promises(starter):
    for row in _rows(starter):
        fields, crowd_form = html_fields(templating.fill(starter.template, row, kind=HTML))
        assert crowd_form
        assert {f.name for f in fields} == ANSWER_FIELDS[starter.slug]
        for item in fields:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", item.name), item.name


@BY_SLUG
def test_its_reward_pays_the_hourly_rate_rounded_up_to_the_cent(starter):
    for rate, rate_cents in ((DEFAULT_HOURLY_RATE, 1200), (Decimal("7.25"), 725)):
        cents = -(-starter.work_seconds * rate_cents // 3600)
        assert starter.reward(rate) == max(Decimal(cents) / 100, Decimal("0.01"))
    assert starter.reward() == starter.reward(Decimal("12.00"))
    assert starter.reward().as_tuple().exponent == -2


def test_a_reward_is_never_below_a_cent_and_never_rounded_down():
    quick = dataclasses.replace(starter_get("sentiment"), work_seconds=1)
    assert quick.reward() == Decimal("0.01")
    assert quick.reward(Decimal("100.00")) == Decimal("0.03")  # 2.78 cents
    exact = (Decimal(50) * Decimal("12.00") / 3600).quantize(Decimal("0.01"), ROUND_CEILING)
    assert dataclasses.replace(quick, work_seconds=50).reward() == exact == Decimal("0.17")


@BY_SLUG
def test_its_hit_properties_are_ones_mturk_accepts_and_workers_can_trust(starter):
    assert 0 < len(starter.title) <= 128
    assert 0 < len(starter.description) <= 2000
    assert [k.strip() for k in starter.keywords.split(",") if k.strip()]
    assert starter.assignment_duration >= 3 * starter.work_seconds
    assert 30 <= starter.assignment_duration <= 31_536_000
    assert 30 <= starter.lifetime <= 31_536_000
    assert starter.auto_approval_delay == THREE_DAYS
    assert starter.max_assignments >= 1
    assert starter.frame_height >= 0
    assert starter.summary.endswith(".")


@BY_SLUG
def test_its_thumbnail_is_a_self_contained_svg(starter):
    root = ElementTree.fromstring(starter.thumbnail)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 160 100"
    for element in root.iter():
        assert element.tag != f"{SVG}script"
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), name
            if name.endswith("href"):
                assert value.startswith("#"), value
    assert "url(" not in starter.thumbnail.replace("url(#", "")


# --- gold --------------------------------------------------------------------------------------


def test_every_task_with_one_right_answer_has_gold_rows():
    for slug in GOLD:
        starter = starter_get(slug)
        assert starter.gold_fields, slug
        for column in starter.gold_fields.values():
            assert [row[column] for row in _rows(starter) if row[column].strip()], slug


@pytest.mark.parametrize("starter", [s for s in STARTERS if s.gold_fields], ids=lambda s: s.slug)
def test_its_gold_values_are_among_the_answers_workers_can_give(starter):
    for row in _rows(starter):
        spec = task_spec(starter.template, row)
        for answer_field, column in starter.gold_fields.items():
            element = spec.element(answer_field.split(".")[0])
            assert element is not None, answer_field
            for value in filter(None, row[column].split("|")):
                assert value in element.options, (answer_field, value)


def _answered_right(starter: Starter, row: dict[str, str]) -> dict:
    """The flattened answers of a worker who gives the row's gold answers, as the local MTurk's
    simulated crowd would send them (its crowd module needs the emulator's models, so its
    answering is done here with the same pieces)."""
    shape = question_shape(_question(starter, row))
    gold = {
        answer_field.split(".")[0]: row[column].split("|")
        for answer_field, column in starter.gold_fields.items()
        if row[column].strip()
    }
    values = {}
    for item in shape.fields:
        if item.kind == "element":
            truth = element_truth(
                item.crowd, item.attributes, gold.get(item.name), "seed", item.name
            )
            answer = element_answer(
                item.crowd, item.attributes, truth, accuracy=1.0, spam=False, rng=random.Random(7)
            )
            values[item.name] = [json.dumps(answer)]
        elif item.name in gold:
            values[item.name] = gold[item.name]
        else:
            values[item.name] = [item.options[0] if item.options else "an answer"]
    parsed = parse_answers(answers_document(shape, values))
    assert parsed.error == ""
    return parsed.answers


@pytest.mark.parametrize("starter", [s for s in STARTERS if s.gold_fields], ids=lambda s: s.slug)
def test_a_right_answer_scores_on_its_gold_rows(starter):
    scored = 0
    for row in _rows(starter):
        answers = _answered_right(starter, row)
        for answer_field, column in starter.gold_fields.items():
            assert answer_field in answers, (answer_field, sorted(answers))
            if row[column].strip():
                assert answer_matches(answers[answer_field], row[column])
                scored += 1
    assert scored


# --- media -------------------------------------------------------------------------------------


def _referenced() -> set[str]:
    return {
        name
        for starter in STARTERS
        for name in re.findall(r"\{media\}/([\w.-]+)", starter.example_csv)
    }


def test_every_media_file_the_examples_use_is_ours_and_none_is_left_over():
    present = {path.name for path in MEDIA_DIR.iterdir()}
    assert _referenced() <= present
    assert present <= _referenced()


@pytest.mark.parametrize("name", sorted(_referenced()))
def test_each_media_file_is_small_and_of_the_shape_the_crowd_expects(name):
    path = MEDIA_DIR / name
    size = path.stat().st_size
    if name.endswith(".svg"):
        root = ElementTree.fromstring(path.read_text(encoding="utf-8"))
        # The simulated crowd takes an image it cannot read to be 800x600.
        assert (root.get("width"), root.get("height")) == ("800", "600")
        assert root.find(f"{SVG}title") is not None
        assert not [e for e in root.iter() if e.tag == f"{SVG}script"]
        assert "href" not in path.read_text(encoding="utf-8")
        assert size < 20_000
    elif name.endswith(".wav"):
        with wave.open(str(path)) as sound:
            assert sound.getnchannels() == 1
            assert 8_000 <= sound.getframerate() <= 16_000
        assert size < 100_000
    else:
        assert name.endswith(".webm")
        assert path.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # Matroska / WebM
        assert size < 200_000
