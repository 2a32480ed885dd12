"""New project from the gallery: a starter previewed with its example rows, its example CSV
with media this dashboard serves, and the project form filled from it (a reward from the
expected time at the stated hourly rate); or a blank project."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from apps.batches import starters
from apps.batches.models import Project

pytestmark = pytest.mark.django_db

BOXES = starters.starter_get("bounding-boxes")


def _post_from(page: str) -> dict:
    """The project form's values as the page filled them (what Save would send)."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.values: dict[str, str] = {}
            self._textarea = None
            self._select = None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag == "input" and a.get("name") and a.get("type") not in ("submit", "checkbox"):
                self.values[a["name"]] = a.get("value") or ""
            elif tag == "textarea":
                self._textarea = a.get("name")
                self.values[self._textarea] = ""
            elif tag == "select":
                self._select = a.get("name")
            elif (
                tag == "option"
                and self._select
                and ("selected" in a or self._select not in self.values)
            ):
                self.values[self._select] = a.get("value", "")

        def handle_endtag(self, tag):
            if tag == "textarea":
                self._textarea = None
            elif tag == "select":
                self._select = None

        def handle_data(self, data):
            if self._textarea:
                self.values[self._textarea] += data

    reader = Reader()
    reader.feed(page.split('class="project-form"', 1)[1])
    reader.values.pop("csrfmiddlewaretoken", None)
    return reader.values


def test_the_gallery_lists_every_starter_by_group_with_its_suggested_reward(login, carol):
    page = login(carol).get("/batches/projects/gallery/").content.decode()
    assert len(starters.STARTERS) >= 24
    for group in starters.GROUPS:
        assert f">{group}</h2>" in page
    for starter in starters.STARTERS:
        assert f'data-starter="{starter.slug}"' in page
    assert f"${BOXES.reward():.2f}" in page
    assert "Rewards are suggested at" in page and "$12.00 an hour" in page
    assert 'href="/batches/projects/new/" data-blank' in page


def test_another_rate_suggests_other_rewards_and_nonsense_falls_back(login, carol):
    client = login(carol)
    page = client.get("/batches/projects/gallery/", {"rate": "30"}).content.decode()
    assert "$30.00 an hour" in page
    assert f"${BOXES.reward(Decimal('30')):.2f}" in page
    for nonsense in ("abc", "NaN", "Infinity", "-5", "1e9", "0"):
        page = client.get("/batches/projects/gallery/", {"rate": nonsense}).content.decode()
        assert "$12.00 an hour" in page, nonsense


def test_a_starter_previews_each_example_row_before_it_is_chosen(login, carol):
    client = login(carol)
    page = client.get("/batches/projects/gallery/bounding-boxes/").content.decode()
    assert "Use this starter" in page and "Download example CSV" in page
    assert "Preview with example row 1 of" in page
    rows = list(
        csv.DictReader(
            io.StringIO(BOXES.example_csv_text("http://testserver/static/starters/media"))
        )
    )
    second = client.get("/batches/projects/gallery/bounding-boxes/preview/", {"row": "2"})
    body = second.content.decode()
    assert second.status_code == 200
    assert "crowd-bounding-box" in body and "${" not in body
    image = rows[1]["image_url"]
    assert image.startswith("http://testserver/static/starters/media/") and image in body
    policy = second["Content-Security-Policy"]
    img_src = next(p for p in policy.split(";") if p.strip().startswith("img-src"))
    assert "http://testserver" in img_src  # the example media load in the preview
    assert "sandbox" in policy
    # Row numbers out of range are clamped, not errors.
    assert (
        client.get("/batches/projects/gallery/bounding-boxes/preview/", {"row": "999"}).status_code
        == 200
    )
    assert client.get("/batches/projects/gallery/bounding-boxes/", {"row": "x"}).status_code == 200


def test_the_example_csv_has_absolute_media_urls_and_the_gold_columns(login, carol):
    response = login(carol).get("/batches/projects/gallery/image-classification/example.csv")
    assert (
        response["Content-Disposition"] == 'attachment; filename="image-classification-example.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    starter = starters.starter_get("image-classification")
    assert set(starter.gold_fields.values()) <= set(rows[0])
    assert all(
        row["image_url"].startswith("http://testserver/static/starters/media/") for row in rows
    )


def test_using_a_starter_fills_the_form_and_the_project_remembers_it(login, carol, account):
    client = login(carol)
    page = client.get(
        "/batches/projects/new/", {"starter": "image-classification", "rate": "18"}
    ).content.decode()
    starter = starters.starter_get("image-classification")
    assert "Started from the" in page and "starter" in page
    post = _post_from(page)
    assert post["starter"] == "image-classification"
    assert post["name"] == starter.name and post["title"] == starter.title
    assert post["reward"] == f"{starter.reward(Decimal('18')):.2f}"
    assert post["template"].strip() == starter.template.strip()
    response = client.post("/batches/projects/new/", post)
    assert response.status_code == 302, response.content.decode()[:2000]
    project = Project.objects.get(requester=account)
    assert project.starter == "image-classification"
    assert project.gold_fields == starter.gold_fields
    assert project.max_assignments == starter.max_assignments
    assert project.assignment_duration == starter.assignment_duration
    detail = client.get(f"/batches/projects/{project.pk}/").content.decode()
    assert "Started from" in detail and "example.csv" in detail
    # The same starter again: the name is made free.
    again = _post_from(
        client.get("/batches/projects/new/", {"starter": "image-classification"}).content.decode()
    )
    assert again["name"] == f"{starter.name} (2)"


def test_a_blank_project_and_a_forged_starter(login, carol, account):
    client = login(carol)
    page = client.get("/batches/projects/new/").content.decode()
    assert "A blank project." in page and "Start from a starter project instead" in page
    assert client.get("/batches/projects/new/", {"starter": "no-such"}).status_code == 200
    post = _post_from(
        client.get("/batches/projects/new/", {"starter": "sentiment"}).content.decode()
    )
    post["starter"] = "../../etc/passwd"
    assert client.post("/batches/projects/new/", post).status_code == 302
    assert Project.objects.get(requester=account).starter == ""


@pytest.mark.parametrize(
    "url",
    [
        "/batches/projects/gallery/",
        "/batches/projects/gallery/sentiment/",
        "/batches/projects/gallery/sentiment/preview/",
        "/batches/projects/gallery/sentiment/example.csv",
    ],
)
def test_roles_that_cannot_make_projects_are_refused(login, victor, bob, url):
    for user in (victor, bob):
        assert login(user).get(url).status_code == 403
    assert login(victor).get("/batches/projects/gallery/no-such/").status_code == 403
