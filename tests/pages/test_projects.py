"""Project pages: a project with requirements (an approval rate and the account's own type) and
durations of days, read by every role; its forms, its live check, its preview, its upload."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.qualifications import services as qualifications
from apps.requesters.roles import Action, role_allows
from tests.pages.conftest import ROLES, check_refusal

pytestmark = pytest.mark.django_db(transaction=True)

APPROVAL_RATE = "000000000000000000L0"


@pytest.fixture
def required(lab, project):
    """The project requires a 95% approval rate and the absence of the account's exclusion type."""
    qtype = qualifications.qualification_type_create(
        membership=lab.membership("manager"),
        actor=lab.user("manager"),
        data={"name": "Did the pilot", "description": "Took part.", "status": "Active"},
    )
    project.qualification_requirements = [
        {
            "QualificationTypeId": APPROVAL_RATE,
            "Comparator": "GreaterThanOrEqualTo",
            "IntegerValues": [95],
        },
        {"QualificationTypeId": qtype.mturk_id, "Comparator": "DoesNotExist"},
    ]
    project.save(update_fields=["qualification_requirements"])
    return project, qtype


def test_project_detail(lab, required, batches, checks):
    project, qtype = required
    url = reverse("batches-project", args=[project.pk])
    for role in ROLES:
        where = f"batches-project [requirements, 3-day lifetime, four batches] as {role}"
        page = lab.get(role, url, where=where)
        if not checks.that(page.status == 200, where, f"answers {page.status}"):
            continue
        checks.page(where, page, role, qualification_ids=[APPROVAL_RATE, qtype.mturk_id])
        checks.that(project.name in page.heading(), where, "the heading names the project")
        checks.that(
            page.has_text("95%") and page.has_text(qtype.name),
            where,
            "the requirements are said by name (approval rate, the type's name)",
        )
        checks.that(page.has_text("$0.50"), where, "the reward reads $0.50")
        for batch in batches.values():
            checks.that(batch.name in page.text, where, f"the batch {batch.name} is listed")
        if role_allows(role, Action.LAUNCH):
            checks.that(page.links_to("batches-project-edit"), where, "a manager edits it")
            upload = page.posts_to("batches-upload") or [
                f for f in page.forms if f.url_name == "batches-upload"
            ]
            checks.that(
                upload or page.links_to("batches-upload"), where, "a manager uploads a batch"
            )
        where = f"batches-project-preview as {role}"
        frame = lab.get(role, reverse("batches-project-preview", args=[project.pk]), where=where)
        checks.that(frame.status == 200, where, f"answers {frame.status}")
        checks.that(frame.has_text("[image_url]"), where, "variables show as [name] samples")
    for name in ("batches-project", "batches-project-preview"):
        where = f"{name} as outsider"
        page = lab.get("outsider", reverse(name, args=[project.pk]), where=where)
        checks.that(page.status == 404, where, f"answers {page.status}, not 404")
    check_refusal(checks, "batches-project as outsider", lab.get("outsider", url), 404)
    checks.done()


def test_project_list(lab, project, checks):
    for role in ROLES:
        where = f"batches-projects [one project] as {role}"
        page = lab.get(role, reverse("batches-projects"), where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.page(where, page, role)
        checks.that(project.name in page.text, where, "the project is listed")
        if role_allows(role, Action.LAUNCH):
            checks.that(page.links_to("batches-gallery"), where, "a manager makes one")
    page = lab.get("outsider", reverse("batches-projects"), where="batches-projects as outsider")
    checks.that(project.name not in page.text, "batches-projects as outsider", "not listed")
    checks.done()


def test_project_forms(lab, required, checks):
    project, qtype = required
    forms = {
        "batches-project-new": reverse("batches-project-new"),
        "batches-project-edit": reverse("batches-project-edit", args=[project.pk]),
        "batches-upload": reverse("batches-upload", args=[project.pk]),
        "batches-project-copy": reverse("batches-project-copy", args=[project.pk]),
    }
    for role in ROLES:
        for name, url in forms.items():
            where = f"{name} as {role}"
            page = lab.get(role, url, where=where)
            if not role_allows(role, Action.LAUNCH):
                check_refusal(checks, where, page, 403)
                continue
            if not checks.that(page.status == 200, where, f"answers {page.status}"):
                continue
            # The help explains the placeholder syntax itself: that ${column} is meant.
            checks.page(where, page, role, allow_text=("${column|raw}", "${column}"))
            checks.that(
                not any(cls in page.html for cls in ('class="errorlist', 'class="error"')),
                where,
                "the form opens without a red error (issue #15, point 12)",
            )
            if name == "batches-project-copy":
                checks.that(page.posts_to(name), where, "a form makes the copy")
                checks.that(project.name in page.heading(), where, "names the project copied")
            if name == "batches-project-edit":
                checks.that(
                    qtype.name in page.text, where, "the requirement's type is chosen by name"
                )
        where = f"batches-project-check [a template with two variables] as {role}"
        page = lab.post(
            role,
            reverse("batches-project-check"),
            {"template": "<p>${image_url} ${caption}</p>", "question_kind": "html"},
            htmx=True,
        )
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.page(where, page, role)
        checks.that(
            "image_url" in page.text and "caption" in page.text, where, "names both variables"
        )
    for role in ROLES:
        where = f"batches-project-draft-preview [a template being typed] as {role}"
        page = lab.post(
            role,
            reverse("batches-project-draft-preview") + f"?project={project.pk}",
            {"template": "<p>What does ${caption} show?</p>", "question_kind": "html"},
        )
        if not role_allows(role, Action.LAUNCH):
            checks.that(page.status == 403, where, f"answers {page.status}, not 403")
            continue
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.that(page.has_text("What does [caption] show?"), where, "placeholders filled")
    for name, url in forms.items():
        if name != "batches-project-new":
            check_refusal(checks, f"{name} as outsider", lab.get("outsider", url), 404)
    checks.done()


def test_failed_uploads_leave_nothing_behind(lab, project, checks):
    """A binary file is called what it is; a CSV with errors makes no batch (issue #15, point
    10): the upload page comes back with the reason and the name kept."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.batches.models import Batch

    url = reverse("batches-upload", args=[project.pk])
    uploads = {
        "a PNG file": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "photo.csv"),
        "a CSV missing a column": (b"image_url\nhttps://example.org/a.png\n", "short.csv"),
    }
    for state, (body, filename) in uploads.items():
        where = f"batches-upload [{state}] as manager"
        response = lab.client("manager").post(
            url,
            {"name": "Broken", "file": SimpleUploadedFile(filename, body, "text/csv")},
            follow=True,
        )
        from tests.pages.reading import read

        page = read(response, url)
        checks.page(where, page, "manager")
        checks.that(
            not Batch.objects.filter(project=project, name="Broken").exists(),
            where,
            "no batch is left behind",
        )
        if state == "a PNG file":
            checks.that(
                "not a csv" in page.text.casefold() or "not a text" in page.text.casefold(),
                where,
                f"says the file is not a CSV/text file; it reads {page.text[-300:]!r}",
            )
        else:
            checks.that("caption" in page.text, where, "names the missing column")
    checks.done()


def test_gallery(lab, checks):
    """The starter gallery, each starter's page with its preview, and its example CSV: every
    starter for a manager, one for each role."""
    from apps.batches import starters

    gallery = reverse("batches-gallery")
    first = starters.STARTERS[0]
    for role in ROLES:
        where = f"batches-gallery as {role}"
        page = lab.get(role, gallery, where=where)
        if not role_allows(role, Action.LAUNCH):
            check_refusal(checks, where, page, 403)
            starter_page = lab.get(role, reverse("batches-starter", args=[first.slug]))
            check_refusal(checks, f"batches-starter as {role}", starter_page, 403)
            continue
        if not checks.that(page.status == 200, where, f"answers {page.status}"):
            continue
        checks.page(where, page, role)
        checks.that(page.links_to("batches-project-new"), where, "a blank project is one click")
        for group in starters.GROUPS:
            checks.that(page.has_text(group), where, f"the group {group} is shown")
        checks.that(
            len(page.links_to("batches-starter")) >= len(starters.STARTERS),
            where,
            "every starter opens",
        )
        checks.that(page.has_text("$12.00"), where, "the hourly rate is stated")
    for starter in starters.STARTERS:
        where = f"batches-starter [{starter.slug}] as manager"
        url = reverse("batches-starter", args=[starter.slug])
        page = lab.get("manager", url, where=where)
        if not checks.that(page.status == 200, where, f"answers {page.status}"):
            continue
        checks.page(where, page, "manager", allow_text=("${",))
        checks.that(starter.name in page.heading(), where, "the heading names it")
        checks.that(page.has_text(f"{starter.reward():.2f}"), where, "says the reward")
        checks.that(page.links_to("batches-starter-csv"), where, "its example CSV downloads")
        checks.that(page.links_to("batches-project-new"), where, "it can be used")
        frame = lab.get("manager", reverse("batches-starter-preview", args=[starter.slug]), row="1")
        checks.that(frame.status == 200, f"{where}, preview", f"answers {frame.status}")
        checks.that("crowd-form" in frame.html, f"{where}, preview", "the template is shown")
        checks.that("${" not in frame.html, f"{where}, preview", "filled with the example row")
        csv_page = lab.get("manager", reverse("batches-starter-csv", args=[starter.slug]))
        checks.that(csv_page.status == 200, f"{where}, CSV", f"answers {csv_page.status}")
        checks.that("{media}" not in csv_page.html, f"{where}, CSV", "media are URLs")
    missing = lab.get("manager", reverse("batches-starter", args=["no-such-starter"]))
    check_refusal(checks, "batches-starter [unknown]", missing, 404)
    checks.done()
