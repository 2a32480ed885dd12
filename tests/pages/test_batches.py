"""Batch pages: a batch draft, launching, launched with work to come, done, and cancelled, read by
every role and by an outsider; its live progress; its downloads."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django.urls import reverse

from apps.batches.models import BatchStatus
from apps.requesters.roles import Action, role_allows
from tests.pages.conftest import ROLES, batch_launch, batch_upload, check_refusal

pytestmark = pytest.mark.django_db(transaction=True)


def _launch_forms(page):
    """Forms that start a launch: straight to the launch action, or to its confirmation."""
    return [f for f in page.forms if f.url_name == "batches-launch"] + [
        f for f in page.posts_to("batches-launch") if f not in page.forms
    ]


def _check_batch_page(checks, lab, batch, state: str, role: str) -> None:
    where = f"batches-detail [{state}] as {role}"
    page = lab.get(role, reverse("batches-detail", args=[batch.pk]), where=where)
    if not checks.that(page.status == 200, where, f"answers {page.status}"):
        return
    checks.page(where, page, role)
    heading = page.heading()
    label = batch.get_status_display()
    checks.that(label in heading, where, f"the heading shows {label!r}; it reads {heading!r}")
    may_launch = role_allows(role, Action.LAUNCH)
    launch = _launch_forms(page)
    if state == "draft" and may_launch:
        checks.that(
            launch and any(b.startswith("Launch") for f in launch for b in f.button_texts),
            where,
            "a manager sees the Launch button of a batch ready to launch",
        )
    elif state != "draft":
        checks.that(not launch, where, f"no Launch button on a {state} batch")
    cancel = page.posts_to("batches-cancel")
    if state == "launching" and may_launch:
        checks.that(cancel, where, "a manager can cancel a launch under way")
    if state in ("draft", "done", "cancelled"):
        checks.that(not cancel, where, f"no Cancel button on a {state} batch")
    # Live while anything can change (issue #15, point 4); quiet once nothing will.
    polls = [p for p in page.polls if p.url_name in ("batches-progress", "batches-detail")]
    if state in ("launching", "launched"):
        checks.that(polls, where, f"a {state} batch's progress updates by itself (htmx polling)")
    else:
        checks.that(not polls, where, f"a {state} batch's page does not poll; it polls {polls}")
    if state == "cancelled":
        checks.that(page.has_text("Cancelled"), where, "says the batch is cancelled")
    if state in ("launched", "done"):
        # Exclusion from the next study is one click, and the workers can be written to at
        # once (issue #15, point 9), for the roles that may.
        if role_allows(role, Action.QUALIFICATIONS):
            checks.that(
                page.posts_to("qualifications-batch-exclude"),
                where,
                "a manager excludes the batch's workers in one click",
            )
        if role_allows(role, Action.WORKERS):
            checks.that(
                page.links_to("workers-message-many"), where, "a manager messages its workers"
            )


@pytest.fixture
def launching(lab, project):
    return batch_upload(lab, project, "Launching", 3)


def test_batch_detail(lab, batches, checks):
    for state, batch in batches.items():
        for role in ROLES:
            _check_batch_page(checks, lab, batch, state, role)
        where = f"batches-detail [{state}] as outsider"
        page = lab.get("outsider", reverse("batches-detail", args=[batch.pk]), where=where)
        checks.that(page.status == 404, where, f"answers {page.status}, not 404")
        checks.that(batch.name not in page.text, where, "the batch's name is not shown")
    checks.done()


def test_batch_detail_while_launching(lab, launching, checks):
    """The launch is under way: its task is queued and runs when the launch commits, so the
    page is read inside the launch's own transaction, as a person reloading it would see it."""
    with transaction.atomic():
        batch = batch_launch(lab, launching)
        checks.that(batch.status == BatchStatus.LAUNCHING, "batch", batch.status)
        for role in ROLES:
            _check_batch_page(checks, lab, batch, "launching", role)
            where = f"batches-progress [launching] as {role}"
            page = lab.get(
                role, reverse("batches-progress", args=[batch.pk]), where=where, htmx=True
            )
            checks.that(page.status == 200, where, f"answers {page.status}")
            checks.page(where, page, role)
            checks.that(page.has_text("Launching"), where, "the progress says Launching")
    batch.refresh_from_db()
    checks.that(batch.status == BatchStatus.LAUNCHED, "batch", f"launched after: {batch.status}")
    for role in ROLES:
        where = f"batches-progress [launched, no work yet] as {role}"
        page = lab.get(role, reverse("batches-progress", args=[batch.pk]), where=where, htmx=True)
        checks.page(where, page, role)
        checks.that(page.has_text("Launched"), where, "the progress says Launched")
        checks.that(page.has_text("3 created"), where, "counts the three HITs created")
    checks.done()


def test_batch_list(lab, batches, checks):
    for role in ROLES:
        where = f"batches-list [draft, launched, done, cancelled] as {role}"
        page = lab.get(role, reverse("batches-list"), where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.page(where, page, role)
        for state, batch in batches.items():
            checks.that(
                any(link.href.endswith(f"/batches/{batch.pk}/") for link in page.links),
                where,
                f"the {state} batch links to its page",
            )
            checks.that(
                batch.get_status_display() in page.text,
                where,
                f"the {state} batch's status {batch.get_status_display()!r} is shown",
            )
    page = lab.get("outsider", reverse("batches-list"), where="batches-list as outsider")
    checks.that(
        not any(b.name in page.text for b in batches.values() if b.name != "Done"),
        "batches-list as outsider",
        "another account's batches are not listed",
    )
    checks.done()


def test_batch_downloads(lab, batches, checks):
    """results.csv, results.jsonl and input.csv: files, with the right type and first line."""
    done = batches["done"]
    for role in ROLES:
        where = f"batches-results-csv [done] as {role}"
        page = lab.get(role, reverse("batches-results-csv", args=[done.pk]), where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.that(page.content_type.startswith("text/csv"), where, page.content_type)
        lines = page.text.lstrip("\ufeff").splitlines()
        checks.that(
            lines and "image_url" in lines[0] and "caption" in lines[0],
            where,
            f"the header names the CSV's columns: {lines[:1]}",
        )
        checks.that(len(lines) == 3, where, f"one line per row after the header: {len(lines)}")
        checks.that("APAGESDONE000001" in page.text, where, "each row carries its worker's answer")

        where = f"batches-results-jsonl [done] as {role}"
        page = lab.get(role, reverse("batches-results-jsonl", args=[done.pk]), where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.that("json" in page.content_type, where, page.content_type)
        try:
            first = json.loads(page.text.splitlines()[0])
        except (ValueError, IndexError) as exc:
            checks.that(False, where, f"the first line is not JSON: {exc}")
        else:
            checks.that(isinstance(first, dict), where, f"the first line is an object: {first}")

        for state, batch in batches.items():
            where = f"batches-input [{state}] as {role}"
            page = lab.get(role, reverse("batches-input", args=[batch.pk]), where=where)
            checks.that(page.status == 200, where, f"answers {page.status}")
            checks.that(page.content_type.startswith("text/csv"), where, page.content_type)
            checks.that(
                page.text.splitlines()[:1] == ["image_url,caption"],
                where,
                f"the first line is the uploaded header: {page.text.splitlines()[:1]}",
            )
    for name in ("batches-results-csv", "batches-results-jsonl", "batches-input"):
        where = f"{name} as outsider"
        page = lab.get("outsider", reverse(name, args=[done.pk]), where=where)
        checks.that(page.status == 404, where, f"answers {page.status}, not 404")
    checks.done()


def test_row_preview(lab, batches, checks):
    """The worker's view of one row: the row's values in the HTML, in a frame of its own."""
    draft = batches["draft"]
    for role in ROLES:
        where = f"batches-row-preview [draft, row 1] as {role}"
        page = lab.get(role, reverse("batches-row-preview", args=[draft.pk, 1]), where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.that(page.has_text("draft 1"), where, "the second row's caption is shown")
        checks.that("${" not in page.text, where, "every variable is filled in")
    where = "batches-row-preview as outsider"
    page = lab.get("outsider", reverse("batches-row-preview", args=[draft.pk, 0]), where=where)
    checks.that(page.status == 404, where, f"answers {page.status}, not 404")
    checks.done()


def test_launch_confirmation(lab, batches, checks):
    """Ask before spending (issue #15, point 8): the total with fees and the environment, once;
    nothing is launched by reading the page."""
    from apps.batches import services as batch_services

    draft = batches["draft"]
    estimate = batch_services.batch_estimate(draft)
    total = f"${estimate.total:,.2f}"
    url = reverse("batches-launch", args=[draft.pk])
    for role in ROLES:
        where = f"batches-launch [draft: 2 HITs] as {role}"
        page = lab.get(role, url, where=where)
        if not role_allows(role, Action.LAUNCH):
            check_refusal(checks, where, page, 403)
            continue
        if not checks.that(page.status == 200, where, f"answers {page.status}, not a page"):
            continue
        checks.page(where, page, role)
        checks.that(page.has_text(total), where, f"the total with fees reads {total}")
        checks.that(page.has_text("local MTurk"), where, "the environment is named")
        confirm = page.posts_to("batches-launch")
        checks.that(
            confirm and any(total in b for b in confirm[0].button_texts),
            where,
            f"one button launches, naming {total}",
        )
    draft.refresh_from_db()
    checks.that(draft.status == BatchStatus.VALIDATED, where, "reading the page launches nothing")
    for state in ("launched", "cancelled"):
        where = f"batches-launch [{state}] as manager"
        page = lab.get("manager", reverse("batches-launch", args=[batches[state].pk]), where=where)
        checks.that(not page.posts_to("batches-launch"), where, f"a {state} batch offers no launch")
    check_refusal(checks, "batches-launch as outsider", lab.get("outsider", url), 404)
    checks.done()


def test_batch_with_requirements_and_a_refused_launch(lab, project, checks):
    """Requirements read by name on the batch page; a launch the daily limit refuses says so
    with amounts of two decimals (issue #15, point 2: it printed $23.91000000000000)."""
    from decimal import Decimal

    from apps.qualifications import services as qualifications
    from apps.requesters import services as requesters

    qtype = qualifications.qualification_type_create(
        membership=lab.membership("manager"),
        actor=lab.user("manager"),
        data={"name": "Did the pilot", "description": "Took part.", "status": "Active"},
    )
    approval = "000000000000000000L0"
    project.qualification_requirements = [
        {
            "QualificationTypeId": approval,
            "Comparator": "GreaterThanOrEqualTo",
            "IntegerValues": [95],
        },
        {"QualificationTypeId": qtype.mturk_id, "Comparator": "DoesNotExist"},
    ]
    project.save(update_fields=["qualification_requirements"])
    batch = batch_upload(lab, project, "Needs care", 7)
    url = reverse("batches-detail", args=[batch.pk])
    for role in ROLES:
        where = f"batches-detail [draft with requirements] as {role}"
        page = lab.get(role, url, where=where)
        checks.page(where, page, role, qualification_ids=[approval, qtype.mturk_id])
        checks.that(
            page.has_text("95%") and page.has_text(qtype.name),
            where,
            "the requirements are said by name",
        )
    where = "batches-launch [draft with requirements] as manager"
    page = lab.get("manager", reverse("batches-launch", args=[batch.pk]), where=where)
    checks.page(where, page, "manager", qualification_ids=[approval, qtype.mturk_id])
    requesters.requester_update(
        actor=lab.user("admin"),
        membership=lab.membership("admin"),
        data={"daily_spend_limit": Decimal("1.10")},
    )
    response = lab.client("manager").post(
        reverse("batches-launch", args=[batch.pk]),
        {"confirm_total": str(batch_services_total(batch))},
        follow=True,
    )
    from tests.pages.reading import read

    page = read(response, url)
    where = "batches-detail [launch refused: daily limit $1.10] as manager"
    checks.page(where, page, "manager", qualification_ids=[approval, qtype.mturk_id])
    checks.that(page.has_text("$1.10"), where, "the refusal names the limit, $1.10")
    batch.refresh_from_db()
    checks.that(batch.status == BatchStatus.VALIDATED, where, f"nothing launched: {batch.status}")
    checks.done()


def batch_services_total(batch):
    from apps.batches import services as batch_services

    return batch_services.batch_estimate(batch).total
