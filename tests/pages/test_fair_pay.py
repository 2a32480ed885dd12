"""Fair-pay and eligibility pages read by every role: a batch's top-up preview (managers only)
and the page saying why a worker can or cannot take its HITs (any member)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.requesters.roles import Action, role_allows
from tests.pages.conftest import ROLES, check_refusal

pytestmark = pytest.mark.django_db(transaction=True)


def test_eligibility_page(lab, decided, checks):
    batch = decided.batch
    worker = decided.workers["approved"]
    url = reverse("batches-eligibility", args=[batch.pk])
    for role in ROLES:
        where = f"batches-eligibility [a worker who did one HIT] as {role}"
        page = lab.get(role, f"{url}?worker={worker}", where=where)
        if not checks.that(page.status == 200, where, f"answers {page.status}"):
            continue
        checks.page(where, page, role)
        # Each HIT took one assignment, all taken: nothing is left for anyone.
        checks.that(
            page.has_text(f"Worker {worker} cannot take HITs of this batch: no HIT of it"),
            where,
            "the verdict names the worker and why",
        )
        checks.that(page.has_text("the worker did 1 of them"), where, "counts the HIT they did")
        where = f"batches-eligibility [no worker yet] as {role}"
        page = lab.get(role, url, where=where)
        checks.page(where, page, role)
    check_refusal(checks, "batches-eligibility as outsider", lab.get("outsider", url), 404)
    checks.done()


def test_topup_preview(lab, decided, checks):
    batch = decided.batch
    url = reverse("review-batch-topup", args=[batch.pk])
    for role in ROLES:
        where = f"review-batch-topup [decided batch] as {role}"
        page = lab.get(role, url, where=where)
        if not role_allows(role, Action.SPEND):
            check_refusal(checks, where, page, 403)
            continue
        if not checks.that(page.status == 200, where, f"answers {page.status}"):
            continue
        checks.page(where, page, role)
        checks.that(
            page.has_text("approved assignments with a measured time"),
            where,
            "the preview counts the approved assignments",
        )
    check_refusal(checks, "review-batch-topup as outsider", lab.get("outsider", url), 404)
    checks.done()
