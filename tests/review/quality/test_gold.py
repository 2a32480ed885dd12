"""Gold questions: scored right (case, spaces, multi-valued answers, empty gold cells), shown on
the quality page, the review cards and the workers pages, and checked in the project form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.batches import gold as gold_config
from apps.batches.models import Project
from apps.hits.models import Assignment
from apps.review import tasks
from apps.review.models import WorkerGold
from apps.review.quality import gold
from tests.batches.conftest import TEMPLATE, make_batch, make_project

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_compares_answers_stripped_case_folded_and_as_sets():
    assert gold.answer_matches(" Cat ", "cat")
    assert gold.answer_matches(["Blue", "red"], "red|blue")
    assert gold.answer_matches("blue | RED", "red|blue")
    assert not gold.answer_matches(["red"], "red|blue")
    assert not gold.answer_matches(None, "cat")
    assert not gold.answer_matches("", "")  # no gold value, nothing to be right about


def test_rows_without_a_gold_value_are_not_gold_questions():
    fields = {"label": "gold_label", "tags": "gold_tags"}
    assert gold.row_gold({"gold_label": "cat", "gold_tags": "  "}, fields) == {"label": "cat"}
    assert gold.row_gold({"gold_label": ""}, fields) == {}
    assert gold.assignment_gold({"label": "CAT"}, {"label": "cat", "tags": "a"}) == gold.GoldScore(
        1, 2
    )


def test_gold_fields_must_be_plain_names():
    assert gold_config.gold_fields_parse("label = gold_label\n\n tags=gold_tags ") == {
        "label": "gold_label",
        "tags": "gold_tags",
    }
    for bad in ("label gold_label", "la bel = x", "label = <b>", "a = col\nb = col"):
        with pytest.raises(ValidationError):
            gold_config.gold_fields_parse(bad)


def test_batch_gold_accuracy_per_worker(gold_batch, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        scores = gold.batch_gold_accuracy(gold_batch.batch)
    assert scores == {
        gold_batch.careful: gold.GoldScore(4, 4),
        gold_batch.careless: gold.GoldScore(1, 4),
    }
    assert scores[gold_batch.careless].accuracy == 0.25
    first = Assignment.objects.select_related("hit").get(
        mturk_id=gold_batch.assignments[(gold_batch.careful, 0)]
    )
    no_gold = Assignment.objects.select_related("hit").get(
        mturk_id=gold_batch.assignments[(gold_batch.careful, 2)]
    )
    assert gold.gold_for_assignments([first, no_gold]) == {first.pk: gold.GoldScore(2, 2)}


def test_gold_shows_on_the_quality_page_the_review_card_and_the_workers_pages(
    gold_batch, login, carol
):
    client = login(carol)
    page = client.get(f"/review/batches/{gold_batch.batch.pk}/quality/").content.decode()
    assert "100% (4/4)" in page and "25% (1/4)" in page
    assert WorkerGold.objects.filter(batch=gold_batch.batch).count() == 2

    queue = client.get("/review/", HTTP_HX_REQUEST="true").content.decode()
    assert "gold 2/2" in queue and "gold 0/2" in queue and "gold 0/1" in queue

    workers = client.get("/workers/").content.decode()
    assert "25% (1/4)" in workers and "100% (4/4)" in workers
    detail = client.get(f"/workers/{gold_batch.careless}/").content.decode()
    assert "25% right (1 of 4)" in detail


def test_the_workers_list_does_not_query_per_worker(
    gold_batch, login, carol, django_assert_max_num_queries
):
    client = login(carol)
    client.get(f"/review/batches/{gold_batch.batch.pk}/quality/")
    with django_assert_max_num_queries(12):
        page = client.get("/workers/", HTTP_HX_REQUEST="true").content.decode()
    assert page.count("data-gold") == 2


def test_the_batch_page_warns_of_a_missing_gold_column(
    local_account, carol, login, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    project = make_project(local_account, carol, gold_fields={"label": "gold_label"})
    batch = make_batch(project, carol, "image_url,caption\nhttps://x/1.png,one\n")
    page = login(carol).get(f"/batches/{batch.pk}/").content.decode()
    assert "Gold columns missing from this CSV" in page and "gold_label" in page


def _project_post(**overrides) -> dict:
    data = {
        "name": "Gold project",
        "question_kind": "html",
        "template": TEMPLATE,
        "frame_height": "0",
        "title": "Label",
        "description": "Say what it shows.",
        "keywords": "",
        "reward": "0.10",
        "max_assignments": "1",
        "lifetime": "3600",
        "assignment_duration": "600",
        "auto_approval_delay": "86400",
        "annotation": "",
        "gold": "label = gold_label",
        "req-TOTAL_FORMS": "0",
        "req-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_the_project_form_saves_gold_fields_and_warns_when_the_template_shows_them(
    account, carol, login
):
    client = login(carol)
    response = client.post("/batches/projects/new/", _project_post())
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Project.objects.get(name="Gold project").gold_fields == {"label": "gold_label"}

    refused = client.post(
        "/batches/projects/new/", _project_post(name="Bad", gold="la bel = gold_label")
    )
    assert refused.status_code == 200 and "is not a plain name" in refused.content.decode()
    assert not Project.objects.filter(name="Bad").exists()

    shown = client.post(
        "/batches/projects/new/", _project_post(name="Shown", gold="label = caption"), follow=True
    )
    assert "The template shows the gold column &#x27;caption&#x27;" in shown.content.decode()
    edit = client.get(f"/batches/projects/{Project.objects.get(name='Shown').pk}/edit/")
    assert "label = caption" in edit.content.decode()


def test_the_beat_task_keeps_the_stored_figures_current(gold_batch, settings):
    from mturkdash.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["review-auto-rules"]
    assert entry["task"] in app.tasks and entry["schedule"] == 600.0
    assert not WorkerGold.objects.exists()

    tasks.auto_review_rules_task()

    assert {(g.worker_id, g.right, g.total) for g in WorkerGold.objects.all()} == {
        (gold_batch.careful, 4, 4),
        (gold_batch.careless, 1, 4),
    }
    assert gold.gold_refresh_stale() == 0  # nothing changed since
    # An assignment of the batch read again later makes it stale, once.
    changed = gold.batch_assignments(gold_batch.batch).first()
    Assignment.objects.filter(pk=changed.pk).update(synced_at=timezone.now() + timedelta(seconds=5))
    assert gold.gold_refresh_stale() == 1


def test_the_quality_page_works_per_batch_and_the_batch_page_links_it(gold_batch, login, bob):
    client = login(bob)
    response = client.get("/review/quality/", {"batch": gold_batch.batch.pk})
    assert response["Location"] == f"/review/batches/{gold_batch.batch.pk}/quality/"
    page = client.get(response["Location"]).content.decode()
    assert page.count("data-gold=") == 2 and "<code>label</code>" in page
    assert "Set a qualification score" not in page  # a reviewer cannot set scores
    batch_page = client.get(f"/batches/{gold_batch.batch.pk}/").content.decode()
    assert f'hx-get="/review/batches/{gold_batch.batch.pk}/"' in batch_page


def test_the_project_page_lists_its_gold_answers(account, carol, login):
    project = make_project(account, carol, gold_fields={"label": "caption"})
    page = login(carol).get(f"/batches/projects/{project.pk}/").content.decode()
    assert "<code>label</code> from column <code>caption</code>" in page
    assert "shown in the template: workers see the answer" in page
