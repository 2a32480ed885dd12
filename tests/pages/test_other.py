"""The audit (and its CSV), the HIT pages, the Sync page and the favicon, in the states the other
pages' services leave behind, read by every role."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse

from apps.hits.models import HIT
from apps.requesters.roles import Action, role_allows
from tests.pages.conftest import ROLES, check_refusal

pytestmark = pytest.mark.django_db(transaction=True)


def test_audit(lab, decided, checks):
    from apps.workers import services as workers

    workers.worker_block(
        membership=lab.membership("manager"),
        actor=lab.user("manager"),
        worker_id=decided.workers["rejected"],
        reason="Same answer everywhere.",
    )
    for role in ROLES:
        where = f"audit-list [launch, decisions, a block] as {role}"
        page = lab.get(role, reverse("audit-list"), where=where)
        if not checks.that(page.status == 200, where, f"answers {page.status}"):
            continue
        checks.page(where, page, role)
        for action in ("batch.launch", "worker.block"):
            checks.that(action in page.text, where, f"the {action} entry is listed")
        # Targets link to their objects (issue #15, point 10).
        checks.that(
            any(
                link.href.rstrip("/").endswith(f"/batches/{decided.batch.pk}")
                for link in page.links_to("batches-detail")
            ),
            where,
            "the launch's target links to the batch",
        )
        checks.that(
            any(
                decided.workers["rejected"] in link.href for link in page.links_to("workers-detail")
            ),
            where,
            "the block's target links to the worker",
        )
        where = f"audit-list ?money_only=on as {role}"
        page = lab.get(role, reverse("audit-list"), where=where, money_only="on")
        checks.page(where, page, role)
        checks.that(page.has_text("add up to"), where, "the money entries are totalled")

        where = f"audit-export as {role}"
        page = lab.get(role, reverse("audit-export"), where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.that(page.content_type.startswith("text/csv"), where, page.content_type)
        rows = list(csv.reader(io.StringIO(page.text.lstrip("\ufeff"))))
        checks.that(rows and rows[0][:3] == ["time", "account", "who"], where, f"header {rows[:1]}")
        for row in rows[1:]:
            try:
                json.loads(row[-1])
            except (ValueError, IndexError):
                checks.that(False, where, f"the details column is JSON: {row[-1:]!r}")
                break
    page = lab.get("outsider", reverse("audit-list"), where="audit-list as outsider")
    checks.that(
        "batch.launch" not in page.text, "audit-list as outsider", "no entry of our account"
    )
    page = lab.get("outsider", reverse("audit-export"), where="audit-export as outsider")
    checks.that(
        lab.account.name not in page.text, "audit-export as outsider", "no entry of our account"
    )
    checks.done()


def test_hits(lab, decided, checks):
    hits = HIT.objects.filter(batch_rows__batch=decided.batch).order_by("pk")
    for role in ROLES:
        where = f"hits-list [four HITs of a batch] as {role}"
        page = lab.get(role, reverse("hits-list"), where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.page(where, page, role)
        checks.that(len(page.links_to("hits-detail")) >= 4, where, "each HIT links to its page")
        for state in ("submitted", "approved", "rejected", "overridden"):
            assignment = decided.assignments[state]
            hit = assignment.hit
            where = f"hits-detail [its assignment {state}] as {role}"
            page = lab.get(role, reverse("hits-detail", args=[hit.pk]), where=where)
            if not checks.that(page.status == 200, where, f"answers {page.status}"):
                continue
            checks.page(where, page, role)
            checks.that(page.has_text("$0.50"), where, "the reward reads $0.50")
            checks.that(assignment.mturk_id in page.text, where, "the assignment is listed")
            expected = "Submitted" if state == "submitted" else assignment.status
            checks.that(expected in page.text, where, f"its status reads {expected}")
            checks.that(decided.workers[state] in page.text, where, "names the worker")
    check_refusal(
        checks,
        "hits-detail as outsider",
        lab.get("outsider", reverse("hits-detail", args=[hits[0].pk])),
        404,
    )
    page = lab.get("outsider", reverse("hits-list"), where="hits-list as outsider")
    checks.that(
        hits[0].mturk_id not in page.text, "hits-list as outsider", "another account's HITs"
    )
    checks.done()


def test_sync_status(lab, checks):
    lab.sync()
    for role in ROLES:
        where = f"sync-status [after one sync] as {role}"
        page = lab.get(role, reverse("sync-status"), where=where)
        if not checks.that(page.status == 200, where, f"answers {page.status}"):
            continue
        checks.page(where, page, role)
        checks.that(page.has_text("Last run"), where, "says when the last sync ran")
        if role_allows(role, Action.SYNC):
            checks.that(
                page.posts_to("sync-now") and page.has_button("Sync now"),
                where,
                "a role that may sync sees Sync now",
            )
        where = f"sync-status (htmx) as {role}"
        fragment = lab.get(role, reverse("sync-status"), where=where, htmx=True)
        checks.page(where, fragment, role)
    checks.done()


def test_favicon(db, checks):
    response = Client().get(reverse("favicon"))
    checks.that(
        response.status_code in (200, 301, 302), "favicon", f"answers {response.status_code}"
    )
    if response.status_code in (301, 302):
        checks.that(
            response["Location"].endswith((".svg", ".ico", ".png")),
            "favicon",
            f"sends to the icon: {response['Location']}",
        )
    else:
        checks.that(response["Content-Type"].startswith("image/"), "favicon", "an image")
    checks.done()
