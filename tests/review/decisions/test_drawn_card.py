"""A review card draws its answer as a person checks it: the worker's shapes on the image (and
the other workers' as layers), the painted mask, the marked text, the recording beside the
transcript, the chosen side of an A/B, a survey's questions and answers; every field as sent
stays under "All fields as sent"; a hostile worker's markup stays text; and the page costs the
same few queries however many cards it draws, reading each row's task once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.hits.models import Assignment
from tests.batches.test_views import eager
from tests.helpers import create_hit, work
from tests.review.drawn_work import (
    HOSTILE_LABEL,
    HOSTILE_SPAN,
    HOSTILE_TEXT,
    HOSTILE_WORKER,
    ROW,
    SURVEY,
    _batch_files,
    annotated,
    card_of,
    layer_of,
    parse,
    worked_batch,
)

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["_batch_files", "annotated", "eager"]  # the fixture launches run their tasks at once


def _queue(client, worked):
    response = client.get(f"/review/?hit={worked.hit_id}&status=")
    assert response.status_code == 200
    return response, parse(response.content.decode())


def _figure(card, kind):
    return card.find("figure", data_drawn_kind=kind)


def test_the_card_draws_the_workers_shapes_where_they_drew_them(annotated):
    client, worked = annotated
    mine, *others = worked.assignments
    _, page = _queue(client, worked)
    card = card_of(page, mine)
    answer = mine.task_answers

    boxes = _figure(card, "boxes")
    assert boxes.find("svg").attrs["viewbox"] == "0 0 800 600"  # the parser lowers names
    assert boxes.find("image").attrs["href"] == ROW["image_url"]
    drawn = [
        (r.attrs["x"], r.attrs["y"], r.attrs["width"], r.attrs["height"])
        for r in layer_of(boxes, mine.worker_id).find_all("rect")
    ]
    assert drawn == [
        (str(b["left"]), str(b["top"]), str(b["width"]), str(b["height"]))
        for b in answer["boxes"]["boundingBoxes"]
    ]
    labels = [t.text for t in layer_of(boxes, mine.worker_id).find_all("text")]
    assert labels == [b["label"] for b in answer["boxes"]["boundingBoxes"]]
    assert "own" in layer_of(boxes, mine.worker_id).classes()
    # One colour per label: the two Cats of two workers alike, the Dog another.
    cat = layer_of(boxes, mine.worker_id).find("g", data_label="Cat").find("rect").attrs
    dog = layer_of(boxes, mine.worker_id).find("g", data_label="Dog").find("rect").attrs
    other_cat = layer_of(boxes, others[0].worker_id).find("g", data_label="Cat").find("rect")
    assert cat["stroke"] == other_cat.attrs["stroke"] != dog["stroke"]
    # Every other worker a layer, a tick away; the card's own ticked.
    toggles = {
        box.attrs["data-layer-toggle"]: "checked" in box.attrs
        for box in boxes.find_all("input", data_layer_toggle=True)
    }
    assert len(toggles) == 4 and sum(toggles.values()) == 1
    assert toggles[layer_of(boxes, mine.worker_id).attrs["data-layer"]]
    assert "matched" in boxes.find("p", data_box_agreement=True).text

    keypoint = layer_of(_figure(card, "keypoints"), mine.worker_id).find("circle").attrs
    point = answer["eyes"]["keypoints"][0]
    assert (keypoint["cx"], keypoint["cy"]) == (str(point["x"]), str(point["y"]))
    polygon = layer_of(_figure(card, "polygons"), mine.worker_id).find("polygon").attrs
    vertices = answer["outline"]["polygons"][0]["vertices"]
    assert polygon["points"] == " ".join(f"{v['x']},{v['y']}" for v in vertices)


def test_the_card_shows_the_mask_the_marks_the_recording_and_the_chosen_side(annotated):
    client, worked = annotated
    mine = worked.assignments[0]
    response, page = _queue(client, worked)
    card = card_of(page, mine)

    mask = _figure(card, "semantic")
    png = mine.task_answers["paint"]["labeledImage"]["pngImageData"]
    own_mask = mask.find("image", class_="drawn-mask", data_worker=mine.worker_id)
    assert own_mask.attrs["href"] == f"data:image/png;base64,{png}"
    assert own_mask.attrs["opacity"] == "0.6"  # the card shows its worker's mask alone
    assert mask.find("input", data_mask_opacity=True).attrs["type"] == "range"
    assert "Cat" in mask.find("ul", class_="drawn-legend").text

    marks = [(m.text, m.attrs["data-labels"]) for m in card.find_all("mark")]
    assert marks == [("Grace Hopper", "person"), ("Alan Turing", "person"), ("London", "place")]

    transcript = card.find("div", class_="drawn-transcript")
    assert transcript.find("audio").attrs["src"] == ROW["audio_url"]
    assert "Write down what is said." in transcript.text
    assert mine.task_answers["transcript"] in transcript.text

    sides = {s.attrs["data-side"]: s for s in card.find_all("section", data_side=True)}
    assert set(sides) == {"A", "B"}
    assert "data-chosen" in sides[mine.task_answers["better"]["label"]].attrs
    assert ROW["response_a"] in sides["A"].text and ROW["response_b"] in sides["B"].text

    fields = card.find("details", data_fields=True)
    assert "All fields as sent" in fields.text and "boxes.boundingBoxes.0.left" in fields.text
    assert "A PNG image of" in fields.text and png[:40] not in fields.text  # summed up

    # The page may load the image and the recording from their hosts, and nothing else.
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' data: https://example.org https://media.example.org" in policy
    assert "media-src 'self' https://example.org https://media.example.org" in policy
    # A filter changed in place cannot widen the page's policy: the page loads again.
    url = f"/review/?hit={worked.hit_id}&status="
    swapped = client.get(url, HTTP_HX_REQUEST="true")
    assert swapped["HX-Redirect"] == url


def test_a_hostile_workers_markup_stays_text_on_their_card(annotated):
    client, worked = annotated
    response, page = _queue(client, worked)
    html = response.content.decode()
    card = card_of(page, worked.hostile)

    for attacked in (HOSTILE_LABEL, HOSTILE_SPAN, HOSTILE_TEXT, "<script>alert(1)</script>"):
        assert attacked not in html
    boxes = _figure(card, "boxes")
    hostile = layer_of(boxes, HOSTILE_WORKER)
    assert [t.text for t in hostile.find_all("text")] == [HOSTILE_LABEL]  # read back as text
    # A box drawn backwards is turned round; one with no number is left out.
    assert [(r.attrs["x"], r.attrs["width"]) for r in hostile.find_all("rect")] == [("-20", "30")]
    spans = card.find("p", class_="drawn-entity-text")
    assert [m.attrs["data-labels"] for m in spans.find_all("mark")][:2] == [
        HOSTILE_SPAN,
        f"{HOSTILE_SPAN}|place",
    ]
    assert "1 span outside the text left out." in card.text
    assert HOSTILE_TEXT in card.find("div", class_="drawn-transcript").text
    # The mask that is no PNG is not drawn, and its colour that left its attribute is not used.
    mask = _figure(card, "semantic")
    assert not mask.find_all("image", class_="drawn-mask", data_worker=HOSTILE_WORKER)
    swatches = [r.attrs["fill"] for r in mask.find("ul", class_="drawn-legend").find_all("rect")]
    assert all(len(fill) == 7 and fill.startswith("#") for fill in swatches)
    names = {name for name, _ in card.every_attribute()}
    assert not {n for n in names if n.startswith("on")}, names

    # Decided, the card comes back drawn the same way, its markup still text.
    fragment = client.post(
        f"/review/{worked.hostile.pk}/reject/",
        {"feedback": "The boxes are not on the animals."},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "data-drawing" in fragment and 'data-drawn-kind="boxes"' in fragment
    assert HOSTILE_LABEL not in fragment and HOSTILE_SPAN not in fragment


def test_a_survey_reads_as_questions_and_answers(login, carol, local_account, emulator, eager):
    client = login(carol)
    worked = worked_batch(
        client, local_account, carol, emulator, template=SURVEY, rows=[{"n": "1"}], name="Survey"
    )
    mine = worked.assignments[0]
    _, page = _queue(client, worked)
    table = card_of(page, mine).find("table", class_="drawn-table")
    assert [th.text for th in table.find("thead").find_all("th")] == ["Question", "Answer"]
    rows = {
        tr.find("th").text.split(" ")[0]: tr.find("td") for tr in table.find("tbody").find_all("tr")
    }
    assert set(rows) == {"Which", "How"}
    assert mine.answers["city"] in rows["Which"].text
    options = rows["How"].find_all("span", class_="drawn-option")
    assert [o.text.strip("✓ ") for o in options] == ["daily", "weekly", "never"]
    chosen = [o.text.strip("✓ ") for o in options if "data-chosen" in o.attrs]
    assert chosen == [mine.answers["often"]]


def test_a_hit_of_no_batch_keeps_its_plain_list(login, bob, local_account, account_mturk, emulator):
    from apps.sync.services import requester_sync

    hit = create_hit(account_mturk)
    work(emulator, hit["HITId"], {"label": "cat"})
    requester_sync(requester=local_account)
    page = login(bob).get("/review/").content.decode()
    tree = parse(page)
    card = card_of(tree, Assignment.objects.get(hit__mturk_id=hit["HITId"]))
    assert not card.find_all(data_drawing=True) and not card.find_all("details", data_fields=True)
    assert "cat" in card.find("dd", class_="answer").text


# --- the cost of a page ---------------------------------------------------------------------


def _drawn_queue(account, hits: int, per_hit: int):
    """A launched boxes batch, stored directly: `hits` HITs of `per_hit` submitted answers."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from apps.batches.models import Batch, BatchRow, Project
    from apps.batches.services import batch_properties
    from apps.hits.models import HIT, HITType

    template = (
        '<crowd-form><crowd-bounding-box name="box" src="${url}" labels="[\'Cat\']">'
        "</crowd-bounding-box></crowd-form>"
    )
    project = Project.objects.create(
        requester=account, name="Boxes", template=template, title="t", description="d", reward=1
    )
    batch = Batch.objects.create(
        project=project, requester=account, name="Boxes", hit_type_mturk_id="HTBOX"
    )
    batch.launch_properties = batch_properties(batch)
    batch.save(update_fields=["launch_properties"])
    hit_type = HITType.objects.create(
        requester=account,
        mturk_id="HTBOX",
        title="Box",
        reward=Decimal("0.10"),
        assignment_duration=600,
        auto_approval_delay=86400,
    )
    now = timezone.now()
    for n in range(hits):
        hit = HIT.objects.create(
            requester=account,
            mturk_id=f"HITBOX{n:05d}",
            hit_type=hit_type,
            hit_type_mturk_id="HTBOX",
            title="Box",
            status="Reviewable",
            max_assignments=per_hit,
            reward=Decimal("0.10"),
            batch_key=batch.launch_key,
        )
        BatchRow.objects.create(
            batch=batch, index=n, values={"url": f"https://img.example/{n}.png"}, hit=hit
        )
        Assignment.objects.bulk_create(
            Assignment(
                requester=account,
                mturk_id=f"ABOX{n:05d}{k}",
                hit=hit,
                batch_key=batch.launch_key,
                worker_id=f"AWORKER{k:05d}",
                status="Submitted",
                submit_time=now - timedelta(minutes=n, seconds=k),
                auto_approval_time=now + timedelta(days=1),
                task_answers={
                    "box": {
                        "boundingBoxes": [
                            {"label": "Cat", "left": n, "top": k, "width": 5, "height": 5}
                        ]
                    }
                },
            )
            for k in range(per_hit)
        )
    return batch


@pytest.mark.django_db
def test_a_page_of_drawn_cards_costs_the_same_few_queries_and_one_read_per_row(
    login, bob, account, monkeypatch, django_assert_max_num_queries
):
    from apps.batches import taskspec

    batch = _drawn_queue(account, hits=30, per_hit=2)  # 60 cards: 50 on page 1, 10 on page 2
    client = login(bob)
    client.get(f"/review/?batch={batch.pk}")  # the session warmed
    reads = []
    real = taskspec.task_spec
    monkeypatch.setattr(taskspec, "task_spec", lambda *a, **k: reads.append(a[1]) or real(*a, **k))
    counts = []
    for number, cards, rows in ((1, 50, 25), (2, 10, 5)):
        reads.clear()
        with CaptureQueriesContext(connection) as queries:
            with django_assert_max_num_queries(16):
                page = client.get(f"/review/?batch={batch.pk}&page={number}").content.decode()
        tree = parse(page)
        assert len(tree.find_all("article", data_assignment=True)) == cards
        # Each card draws both workers of its HIT: its own and the other one's layer.
        assert len(tree.find_all("g", class_="drawn-layer own")) == cards
        assert len(tree.find_all("g", data_layer=True)) == 2 * cards
        assert len(reads) == rows, "each row's task read once"
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
