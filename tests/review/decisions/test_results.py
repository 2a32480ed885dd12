"""A batch's results page: every HIT with its input and all its workers' answers drawn together
(a layer per worker, each ticked), the workers linked to their pages, their agreement and the
aggregated answer; twenty HITs a page at the same cost; any member of the account may read it,
nobody else; a hostile worker's answer stays text."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.batches.test_views import eager
from tests.review.drawn_work import (
    ANNOTATE,
    HOSTILE_LABEL,
    HOSTILE_SPAN,
    HOSTILE_TEXT,
    HOSTILE_WORKER,
    ROW,
    _batch_files,
    annotated,
    layer_of,
    parse,
)

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["_batch_files", "annotated", "eager"]  # the fixture launches run their tasks at once


def _url(batch) -> str:
    return reverse("review-batch-results", args=[batch.pk])


def test_it_draws_every_workers_answer_together_with_their_agreement(annotated):
    client, worked = annotated
    response = client.get(_url(worked.batch))
    assert response.status_code == 200
    page = parse(response.content.decode())
    hit = page.find("article", data_hit=worked.hit_id)
    everyone = [*worked.assignments, worked.hostile]

    listed = hit.find("ul", class_="drawn-workers")
    for assignment in everyone:
        entry = listed.find("li", data_worker=assignment.worker_id)
        link = entry.find("a", data_worker_link=True).attrs["href"]
        assert link == reverse("workers-detail", args=[assignment.worker_id])
        assert assignment.status in entry.text
    boxes = hit.find("figure", data_drawn_kind="boxes")
    for assignment in worked.assignments:
        drawn = [
            (r.attrs["x"], r.attrs["y"], r.attrs["width"], r.attrs["height"])
            for r in layer_of(boxes, assignment.worker_id).find_all("rect")
        ]
        assert drawn == [
            (str(b["left"]), str(b["top"]), str(b["width"]), str(b["height"]))
            for b in assignment.task_answers["boxes"]["boundingBoxes"]
        ]
    toggles = boxes.find_all("input", data_layer_toggle=True)
    assert len(toggles) == 5 and all("checked" in t.attrs for t in toggles)  # 4 workers + 1
    assert "4 workers" in boxes.find("p", data_box_agreement=True).text
    masks = hit.find("figure", data_drawn_kind="semantic").find_all("image", class_="drawn-mask")
    assert {m.attrs["data-worker"] for m in masks} >= {a.worker_id for a in worked.assignments}
    lines = hit.find("div", class_="drawn-entities").find_all("div", class_="drawn-text-line")
    assert [line.attrs["data-worker"] for line in lines][:4] == [a.worker_id for a in everyone]
    sides = {s.attrs["data-side"]: s for s in hit.find_all("section", data_side=True)}
    assert "chosen by 3" in sides["B"].text and "chosen by 1" in sides["A"].text
    assert "75% of the workers gave the most common answer" in hit.text
    assert hit.find("audio").attrs["src"] == ROW["audio_url"]
    assert ROW["caption"] in hit.find("dl", class_="props").text  # the input


def test_the_aggregated_answer_is_a_layer_and_a_table(annotated):
    client, worked = annotated
    page = parse(client.get(_url(worked.batch)).content.decode())
    hit = page.find("article", data_hit=worked.hit_id)
    boxes = hit.find("figure", data_drawn_kind="boxes")
    aggregated = boxes.find("g", class_="aggregated").find_all("text")
    assert sorted(t.text for t in aggregated) == ["Cat", "Dog"]
    table = hit.find("details", data_aggregate=True)
    rows = {tr.find("code").text: tr for tr in table.find("tbody").find_all("tr")}
    assert set(rows) == {"boxes", "eyes", "outline", "paint", "ner", "transcript", "better"}
    assert "2 boxes (1 Cat, 1 Dog)" in rows["boxes"].text
    assert rows["better"].find("td").text.startswith("B ")  # and the method that gave it
    assert "person: Grace Hopper" in rows["ner"].text


def test_a_hostile_answer_stays_text(annotated):
    client, worked = annotated
    html = client.get(_url(worked.batch)).content.decode()
    for attacked in (HOSTILE_LABEL, HOSTILE_SPAN, HOSTILE_TEXT, "<script>alert(1)</script>"):
        assert attacked not in html
    page = parse(html)
    boxes = page.find("figure", data_drawn_kind="boxes")
    assert [t.text for t in layer_of(boxes, HOSTILE_WORKER).find_all("text")] == [HOSTILE_LABEL]
    line = page.find("div", class_="drawn-text-line", data_worker=HOSTILE_WORKER)
    assert HOSTILE_SPAN in [m.attrs["title"].split(", ")[0] for m in line.find_all("mark")]
    assert HOSTILE_TEXT in page.find("div", class_="drawn-transcript").text
    names = {name for name, _ in page.find("main").every_attribute()}
    assert not {n for n in names if n.startswith("on")}, names


def test_members_of_every_role_read_it_and_others_get_404(
    annotated, login, victor, charlie, client
):
    _, worked = annotated
    url = _url(worked.batch)
    viewer = login(victor).get(url)
    assert viewer.status_code == 200 and worked.hit_id in viewer.content.decode()
    outsider = login(charlie).get(url)
    assert outsider.status_code == 404 and worked.hit_id not in outsider.content.decode()
    client.logout()
    assert client.get(url).status_code == 302
    assert login(victor).get(reverse("review-batch-results", args=[999999])).status_code == 404


def test_the_batch_page_links_to_it(annotated):
    client, worked = annotated
    page = parse(client.get(reverse("batches-detail", args=[worked.batch.pk])).content.decode())
    assert _url(worked.batch) in [a.attrs.get("href") for a in page.find_all("a")]


def test_twenty_hits_a_page_at_the_same_cost(
    login, carol, local_account, emulator, eager, django_assert_max_num_queries
):
    from apps.sync.services import requester_sync
    from tests.batches.conftest import make_batch, make_project
    from tests.batches.test_views import launch
    from tests.review.drawn_work import rows_csv

    template = (
        '<crowd-form><crowd-bounding-box name="box" src="${url}" labels="[\'Cat\']">'
        "</crowd-bounding-box></crowd-form>"
    )
    project = make_project(local_account, carol, template=template, max_assignments=2)
    rows = [{"url": f"https://img.example/{n}.png"} for n in range(23)]
    batch = make_batch(project, carol, rows_csv(rows))
    client = login(carol)
    launch(client, batch)
    emulator.crowd_work(
        HITIds=[r.hit_mturk_id for r in batch.rows.all()],
        assignments=46,
        profile="diligent",
        return_rate=0,
        abandon_rate=0,
        seed="paged",
    )
    requester_sync(requester=local_account)
    client.get(_url(batch))  # the session warmed
    counts = []
    for number, hits in ((1, 20), (2, 3)):
        with CaptureQueriesContext(connection) as queries:
            with django_assert_max_num_queries(14):
                html = client.get(f"{_url(batch)}?page={number}").content.decode()
        page = parse(html)
        assert len(page.find_all("article", data_hit=True)) == hits
        assert f"Page {number} of 2" in page.find("nav", class_="pager").text
        assert len(page.find_all("g", data_layer=True)) == 3 * hits  # two workers, aggregated
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    last = [r.hit_mturk_id for r in batch.rows.order_by("index")][20:]
    assert [a.attrs["data-hit"] for a in page.find_all("article", data_hit=True)] == last


def test_a_hit_without_answers_says_so(login, carol, local_account, emulator, eager):
    from tests.batches.conftest import make_batch, make_project
    from tests.batches.test_views import launch
    from tests.review.drawn_work import rows_csv

    project = make_project(local_account, carol, template=ANNOTATE)
    batch = make_batch(project, carol, rows_csv([ROW]))
    client = login(carol)
    launch(client, batch)
    page = parse(client.get(_url(batch)).content.decode())
    hit = page.find("article", data_hit=batch.rows.get().hit_mturk_id)
    assert "No answer yet." in hit.text and not hit.find_all(data_drawing=True)
