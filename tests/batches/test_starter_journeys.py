"""Every starter of the gallery, as a requester uses it: previewed with its example rows,
chosen, its example CSV uploaded, launched on the local MTurk, worked by the simulated crowd,
its answers drawn on the review cards and the results page, and its aggregated results
downloaded with a value, an agreement and a count for every item."""

from __future__ import annotations

import csv
import io

import pytest

from apps.batches import starters, taskspec
from apps.batches.models import Batch, BatchStatus, Project
from apps.hits.models import Assignment
from apps.sync.services import requester_sync
from tests.batches.test_gallery import _post_from
from tests.batches.test_views import eager, launch

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["eager"]

SLUGS = [s.slug for s in starters.STARTERS]
SHAPES = (*taskspec.SHAPES, *taskspec.MASKS)


def _csv(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def marks(spec: taskspec.TaskSpec) -> list[str]:
    """What a review card of this task must show: each element drawn its own way."""
    expected = []
    for element in spec.elements:
        if element.kind in SHAPES:
            expected.append(f'data-drawn-kind="{element.kind}"')
        elif element.kind == taskspec.ENTITIES:
            expected.append("<mark ")
        elif element.kind in (taskspec.LABEL, taskspec.LABELS):
            expected.append("data-chosen")
    if any(m.tag == "audio" for m in spec.media):
        expected.append("<audio ")
    if any(m.tag == "video" for m in spec.media):
        expected.append("<video ")
    return expected or ['class="table drawn-table"']


def gold_truth(starter, values: dict[str, str]) -> dict:
    """The row's gold answers as the crowd's truth, in each element's output shape."""
    truth = {}
    for field, column in starter.gold_fields.items():
        if not values.get(column):
            continue
        name, key = field.split(".", 1)
        value = values[column]
        truth[name] = {key: value.split("|") if key == "labels" else value}
    return truth


def run_starter(client, account, emulator, slug: str, host: str = "") -> Batch:
    """Preview, choose, upload the example CSV, launch, let the crowd work it, mirror it.
    `host`: the dashboard's address the example media are served from (a live server's)."""
    starter = starters.starter_get(slug)
    assert client.get(f"/batches/projects/gallery/{slug}/").status_code == 200
    for number in range(1, len(starter.example_rows("x")) + 1):
        frame = client.get(f"/batches/projects/gallery/{slug}/preview/", {"row": number})
        assert frame.status_code == 200 and "${" not in frame.content.decode()
    form = _post_from(client.get("/batches/projects/new/", {"starter": slug}).content.decode())
    assert client.post("/batches/projects/new/", form).status_code == 302
    project = Project.objects.get(requester=account, starter=slug)
    extra = {"HTTP_HOST": host} if host else {}
    example = client.get(f"/batches/projects/gallery/{slug}/example.csv", **extra).content
    upload = io.BytesIO(example)
    upload.name = f"{slug}.csv"
    response = client.post(
        f"/batches/projects/{project.pk}/upload/", {"name": starter.name, "file": upload}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    batch = Batch.objects.get(project=project)
    launch(client, batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED, batch.error
    hits = list(batch.rows.values_list("hit_mturk_id", flat=True))
    for row in batch.rows.all():
        truth = gold_truth(starter, row.values)
        if truth:
            emulator.crowd_truth(row.hit_mturk_id, truth)
    result = emulator.crowd_work(
        HITIds=hits,
        assignments=len(hits) * min(project.max_assignments, 3),
        profile="average",
        return_rate=0,
        abandon_rate=0,
        seed=slug,
    )
    assert result["Submitted"] == len(hits) * min(project.max_assignments, 3)
    requester_sync(requester=account)
    return batch


@pytest.mark.parametrize("slug", SLUGS)
def test_a_starter_from_preview_to_aggregated_results(
    slug, login, carol, local_account, emulator, eager
):
    client = login(carol)
    batch = run_starter(client, local_account, emulator, slug)
    starter = starters.starter_get(slug)
    rows = list(batch.rows.order_by("index"))
    spec = taskspec.task_spec(starter.template, rows[0].values)
    assert spec.elements, "the starter asks something"

    queue = client.get("/review/", {"batch": batch.pk}).content.decode()
    assert queue.count("data-assignment") >= len(rows)
    for mark in marks(spec):
        assert mark in queue, f"the review card shows {mark}"
    results = client.get(f"/review/batches/{batch.pk}/results/").content.decode()
    for mark in marks(spec):
        assert mark in results, f"the results page shows {mark}"

    aggregated = _csv(client.get(f"/review/batches/{batch.pk}/aggregate.csv"))
    assert len(aggregated) == len(rows)
    per_hit = min(batch.project.max_assignments, 3)
    for record in aggregated:
        for element in spec.elements:
            assert element.name in record, f"{element.name} is aggregated"
            assert f"{element.name}.agreement" in record
            if element.kind != taskspec.TEXT:
                assert int(record[f"{element.name}.answers"]) == per_hit, element.name
                assert record[element.name] != "", f"{element.name} has a value"
    answers = Assignment.objects.filter(hit__batch_rows__batch=batch).count()
    assert answers == len(rows) * per_hit
    # Where the starter knows the right answer, the crowd was told it (workers of average
    # accuracy): the aggregate gets all of them right but at most one.
    by_hit = {r.hit_mturk_id: r.values for r in rows}
    golden = right = 0
    for record in aggregated:
        values = by_hit[record["HITId"]]
        for field, column in starter.gold_fields.items():
            if values.get(column):
                golden += 1
                name = field.split(".", 1)[0]
                got = sorted(record[name].split("|")) if field.endswith(".labels") else record[name]
                want = (
                    sorted(values[column].split("|"))
                    if field.endswith(".labels")
                    else values[column]
                )
                right += got == want
    assert right >= golden - 1, f"{right} of {golden} gold answers aggregated right"
