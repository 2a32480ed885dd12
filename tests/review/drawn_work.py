"""Batches whose answers the review cards and the results page draw: one crowd task of every
kind (boxes, keypoints, a polygon, a painted mask, entities, an audio transcript, an A/B choice)
and a plain HTML survey, launched on the local MTurk, worked by three simulated workers, and
answered once more by a hostile worker whose answer carries markup everywhere it can."""

from __future__ import annotations

import base64
import csv
import io
import json
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest

from apps.batches.models import Batch
from apps.hits.models import Assignment
from apps.sync.services import requester_sync
from tests.batches.conftest import make_batch, make_project
from tests.batches.test_views import launch

ANNOTATE = """<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>
<crowd-form>
  <crowd-bounding-box name="boxes" src="${image_url}" header="Box every animal"
    labels="['Cat', 'Dog']"></crowd-bounding-box>
  <crowd-keypoint name="eyes" src="${image_url}" header="Click the eyes"
    labels="['left eye', 'right eye']"></crowd-keypoint>
  <crowd-polygon name="outline" src="${image_url}" header="Outline the cat" labels="['Cat']">
  </crowd-polygon>
  <crowd-semantic-segmentation name="paint" src="${image_url}" header="Paint the cat"
    labels="['Cat']"></crowd-semantic-segmentation>
  <crowd-entity-annotation name="ner" text="${caption}" header="Mark the people"
    labels="[{label: 'person'}, {label: 'place'}]"></crowd-entity-annotation>
  <p>Write down what is said.</p>
  <audio controls src="${audio_url}"></audio>
  <crowd-text-area name="transcript"></crowd-text-area>
  <crowd-classifier name="better" header="Which response is better?"
    categories="['A', 'B', 'Tie']"></crowd-classifier>
</crowd-form>"""

SURVEY = """<form name="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" name="assignmentId" value="">
<p>Which city do you live in?</p><input name="city">
<p>How often do you shop online?</p>
<input type="radio" name="often" value="daily"> Daily
<input type="radio" name="often" value="weekly"> Weekly
<input type="radio" name="often" value="never"> Never
<input type="submit"></form>"""

CAPTION = "Grace Hopper met Alan Turing in London"
ROW = {
    "image_url": "https://example.org/cat.png",
    "caption": CAPTION,
    "audio_url": "https://media.example.org/said.mp3",
    "response_a": "Paris is in France.",
    "response_b": "Paris is the capital of France.",
}
TRUTH = {
    "boxes": {
        "boundingBoxes": [
            {"label": "Cat", "left": 120, "top": 90, "width": 260, "height": 200},
            {"label": "Dog", "left": 500, "top": 300, "width": 180, "height": 150},
        ]
    },
    "eyes": {"keypoints": [{"label": "left eye", "x": 200, "y": 150}]},
    "outline": {
        "polygons": [
            {
                "label": "Cat",
                "vertices": [{"x": 120, "y": 90}, {"x": 380, "y": 90}, {"x": 250, "y": 290}],
            }
        ]
    },
    "paint": [{"label": "Cat", "left": 120, "top": 90, "width": 260, "height": 200}],
    "ner": {
        "entities": [
            {"label": "person", "startOffset": 0, "endOffset": 12},
            {"label": "person", "startOffset": 17, "endOffset": 28},
            {"label": "place", "startOffset": 32, "endOffset": 38},
        ]
    },
    "better": "B",
}
HOSTILE_WORKER = "AHOSTILEWORKER01"
HOSTILE_LABEL = "<script>alert('box')</script>"
HOSTILE_SPAN = "<img src=x onerror=alert('span')>"
HOSTILE_TEXT = "<b>bold</b> & <script>alert('said')</script>"


def hostile_answer() -> dict:
    """A crowd-form answer with markup in every label and text, a colour that tries to leave its
    attribute, a mask that is no PNG, and spans that overlap, run past the text or are empty."""
    return {
        "boxes": {
            "boundingBoxes": [
                {"label": HOSTILE_LABEL, "left": 10, "top": 20, "width": -30, "height": 40},
                {"label": "Cat", "left": "NaN", "top": 1, "width": 2, "height": 3},
            ],
            "inputImageProperties": {"width": 800, "height": 600},
        },
        "eyes": {"keypoints": [{"label": HOSTILE_LABEL, "x": 5, "y": 6}]},
        "paint": {
            "labelMappings": {HOSTILE_LABEL: {"color": '#ff0000" onload="alert(1)'}},
            "labeledImage": {"pngImageData": '"><script>alert(1)</script>'},
        },
        "ner": {
            "entities": [
                {"label": HOSTILE_SPAN, "startOffset": 0, "endOffset": 11},
                {"label": "place", "startOffset": 6, "endOffset": 20},
                {"label": "person", "startOffset": 30, "endOffset": 5000},
                {"label": "person", "startOffset": 4000, "endOffset": 5000},
            ]
        },
        "transcript": HOSTILE_TEXT,
        "better": {"label": "A"},
    }


def png_data_uri(width: int = 400, height: int = 300) -> str:
    """A small photo-like PNG (a sky, a ground and an orange 'cat') as a data URI."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (176, 208, 232))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 2 // 3, width, height), fill=(120, 160, 90))
    draw.ellipse((width // 5, height // 4, width // 2, height * 3 // 4), fill=(230, 140, 50))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def rows_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@dataclass
class Worked:
    batch: Batch
    hit_id: str
    assignments: list[Assignment]  # the crowd's three, in the order they submitted
    hostile: Assignment | None


def worked_batch(
    client,
    account,
    user,
    emulator,
    *,
    template: str,
    rows: list[dict],
    truth: dict | None = None,
    hostile: dict | None = None,
    name: str = "Drawn",
    workers: int = 3,
) -> Worked:
    """A project and a batch from `rows`, launched, its first HIT worked by `workers`
    simulated workers (and by the hostile worker when `hostile` is their answer), mirrored."""
    extra = 1 if hostile else 0
    project = make_project(
        account, user, template=template, name=name, max_assignments=workers + extra
    )
    batch = make_batch(project, user, rows_csv(rows), name=name)
    launch(client, batch)
    hit_id = batch.rows.get(index=0).hit_mturk_id
    if truth:
        emulator.crowd_truth(hit_id, truth)
    emulator.crowd_work(
        HITIds=[hit_id],
        assignments=workers,
        profile="diligent",
        return_rate=0,
        abandon_rate=0,
        seed=name,
    )
    hostile_id = None
    if hostile:
        hostile_id = emulator.complete(
            HOSTILE_WORKER, hit_id, {"taskAnswers": json.dumps([hostile])}
        )
    requester_sync(requester=account)
    assignments = list(
        Assignment.objects.filter(hit__mturk_id=hit_id)
        .exclude(mturk_id=hostile_id or "")
        .order_by("submit_time", "id")
    )
    assert len(assignments) == workers, [a.status for a in assignments]
    return Worked(
        batch,
        hit_id,
        assignments,
        Assignment.objects.get(mturk_id=hostile_id) if hostile_id else None,
    )


# --- reading the drawn HTML ---------------------------------------------------------------

_VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict
    children: list
    parent: Node | None = None

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def find_all(self, tag: str | None = None, **attrs) -> list[Node]:
        """Descendants of `tag` (any when None) whose attributes equal `attrs` (True: present;
        `class_` holds these classes among others; `_` stands for `-` in a name)."""
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        found = []
        for child in self.children:
            if isinstance(child, str):
                continue
            if (tag is None or child.tag == tag) and all(
                _matches(child, name, value) for name, value in wanted.items()
            ):
                found.append(child)
            found.extend(child.find_all(tag, **attrs))
        return found

    def find(self, tag: str | None = None, **attrs) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag}> with {attrs}"
        return found[0]

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def every_attribute(self) -> list[tuple[str, str]]:
        out = list(self.attrs.items())
        for child in self.children:
            if not isinstance(child, str):
                out.extend(child.every_attribute())
        return out


def _matches(node: Node, name: str, value) -> bool:
    if value is True:
        return name in node.attrs
    if name == "class":
        return set(value.split()) <= node.classes()
    return node.attrs.get(name) == value


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, [])
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v if v is not None else "" for k, v in attrs}, [], self.current)
        self.current.children.append(node)
        if tag not in _VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        node = Node(tag, {k: v if v is not None else "" for k, v in attrs}, [], self.current)
        self.current.children.append(node)

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    """The page as a tree (the standard library's parser; SVG's self-closed tags too)."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def card_of(page: Node, assignment: Assignment) -> Node:
    return page.find("article", id=f"assignment-{assignment.pk}")


def layer_of(figure: Node, worker_id: str) -> Node:
    return figure.find("g", data_layer=True, data_worker=worker_id)


# Fixtures of the drawn-answer tests (imported by their modules).


@pytest.fixture(autouse=True)
def _batch_files(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def annotated(login, carol, local_account, emulator, eager):
    """The annotation batch worked by three simulated workers and the hostile one."""
    client = login(carol)
    worked = worked_batch(
        client,
        local_account,
        carol,
        emulator,
        template=ANNOTATE,
        rows=[ROW],
        truth=TRUTH,
        hostile=hostile_answer(),
    )
    return client, worked
