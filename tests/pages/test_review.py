"""Review pages: assignments submitted, approved, rejected and overridden (approved after a
rejection), read by every role; the bulk confirmation; the review CSV round trip; a bonus batch
previewed and paid; the quality pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.requesters.roles import Action, role_allows
from apps.review.bonuses import bulk
from apps.review.models import BonusBatch
from tests.pages.conftest import ROLES, check_refusal

pytestmark = pytest.mark.django_db(transaction=True)

# status filter -> the assignments it lists
FILTERS = {
    "Submitted": ["submitted"],
    "Approved": ["approved", "overridden"],
    "Rejected": ["rejected"],
}


def test_review_queue(lab, decided, checks):
    for status, states in FILTERS.items():
        for role in ROLES:
            where = f"review-queue ?status={status} as {role}"
            page = lab.get(role, reverse("review-queue"), where=where, status=status)
            if not checks.that(page.status == 200, where, f"answers {page.status}"):
                continue
            checks.page(where, page, role)
            may_review = role_allows(role, Action.REVIEW)
            for state in states:
                a = decided.assignments[state]
                here = f"{where}, the {state} assignment"
                checks.that(a.mturk_id in page.text, here, "its card is shown")
                checks.that(status in page.text, here, f"its badge reads {status}")
                approve = page.posts_to("review-approve")
                approve = [f for f in approve if f.action.rstrip("/").endswith(f"/{a.pk}/approve")]
                reject = [
                    f
                    for f in page.posts_to("review-reject")
                    if f.action.rstrip("/").endswith(f"/{a.pk}/reject")
                ]
                if state == "submitted" and may_review:
                    checks.that(approve and reject, here, "a reviewer can approve or reject it")
                elif state == "rejected" and may_review:
                    checks.that(
                        approve and not reject,
                        here,
                        "a reviewer can approve it after all (override), not reject it again",
                    )
                else:
                    checks.that(
                        not approve and not reject,
                        here,
                        f"no Approve or Reject button on an {state} assignment for a {role}",
                    )
                worker = decided.workers[state]
                checks.that(
                    any(worker in link.href for link in page.links_to("workers-detail")),
                    here,
                    f"the worker id {worker} links to the worker's page",
                )
            for other in set(decided.assignments) - set(states):
                checks.that(
                    decided.assignments[other].mturk_id not in page.text,
                    where,
                    f"the {other} assignment is not listed under {status}",
                )
            if role_allows(role, Action.REVIEW):
                checks.that(page.links_to("review-import"), where, "a reviewer uploads decisions")
            if role_allows(role, Action.BONUS):
                checks.that(page.links_to("review-bonus-upload"), where, "and bonuses")
    where = "review-queue as outsider"
    page = lab.get("outsider", reverse("review-queue"), where=where, status="")
    checks.that(
        all(a.mturk_id not in page.text for a in decided.assignments.values()),
        where,
        "another account's assignments are not shown",
    )
    checks.done()


def test_bulk_confirmation(lab, decided, checks):
    """Approving all N matching asks once, with the number and the money (issue #15, point 8)."""
    for role in ("reviewer", "manager", "admin"):
        where = f"review-bulk [approve all matching: 1 submitted] as {role}"
        page = lab.post(
            role,
            reverse("review-bulk"),
            {"scope": "all", "action": "approve", "status": "Submitted", "feedback": ""},
        )
        if not checks.that(page.status == 200, where, f"answers {page.status}, not a page"):
            continue
        checks.page(where, page, role)
        checks.that(page.has_text("Approve 1 assignment"), where, "names how many it approves")
        checks.that("$" in page.text, where, "says what the approvals cost")
        checks.that(
            page.posts_to("review-bulk"), where, "the confirmation posts the same decision again"
        )
    decided.assignments["submitted"].refresh_from_db()
    checks.that(
        decided.assignments["submitted"].status == "Submitted",
        "review-bulk",
        "nothing is approved before the confirmation",
    )
    checks.done()


def test_review_csv_round_trip(lab, decided, checks):
    for role in ROLES:
        where = f"review-export as {role}"
        page = lab.get(role, reverse("review-export"), where=where, status="")
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.that(page.content_type.startswith("text/csv"), where, page.content_type)
        first = page.text.lstrip("\ufeff").splitlines()[:1]
        checks.that(first and "AssignmentId" in first[0], where, f"the header: {first}")
        where = f"review-import as {role}"
        page = lab.get(role, reverse("review-import"), where=where)
        if role_allows(role, Action.REVIEW):
            checks.that(page.status == 200, where, f"answers {page.status}")
            checks.page(where, page, role)
            checks.that(page.posts_to("review-import"), where, "a form uploads decisions")
        else:
            check_refusal(checks, where, page, 403)
    submitted = decided.assignments["submitted"]
    upload = SimpleUploadedFile(
        "decisions.csv",
        f"AssignmentId,Approve,Reject\n{submitted.mturk_id},x,\n".encode(),
        content_type="text/csv",
    )
    response = lab.client("reviewer").post(reverse("review-import"), {"file": upload})
    checks.that(response.status_code == 302, "review-import POST", f"{response.status_code}")
    job_url = response.get("Location", "")
    for role in ROLES:
        where = f"review-job [preview: 1 approval] as {role}"
        page = lab.get(role, job_url, where=where)
        if not checks.that(page.status == 200, where, f"answers {page.status} at {job_url!r}"):
            continue
        checks.page(where, page, role)
        if role_allows(role, Action.REVIEW):
            checks.that(page.posts_to("review-job-apply"), where, "a reviewer can apply it")
    if job_url:
        where = "review-job as outsider"
        check_refusal(checks, where, lab.get("outsider", job_url, where=where), 404)
    checks.done()


def test_bonus_batch(lab, decided, checks):
    approved = decided.assignments["approved"]
    text = (
        "WorkerId,AssignmentId,Amount,Reason\n"
        f"{approved.worker_id},{approved.mturk_id},1.5,Careful work\n"
    )
    for role in ROLES:
        where = f"review-bonus-upload as {role}"
        page = lab.get(role, reverse("review-bonus-upload"), where=where)
        if role_allows(role, Action.BONUS):
            checks.that(page.status == 200, where, f"answers {page.status}")
            checks.page(where, page, role)
            checks.that(page.posts_to("review-bonus-upload"), where, "a form uploads bonuses")
        else:
            check_refusal(checks, where, page, 403)
    batch = bulk.bonus_csv_read(
        membership=lab.membership("reviewer"),
        actor=lab.user("reviewer"),
        upload=SimpleUploadedFile("bonuses.csv", text.encode(), content_type="text/csv"),
    )
    url = reverse("review-bonus-batch", args=[batch.pk])
    for role in ROLES:
        where = f"review-bonus-batch [preview] as {role}"
        page = lab.get(role, url, where=where)
        if not checks.that(page.status == 200, where, f"answers {page.status}"):
            continue
        checks.page(where, page, role)
        checks.that(page.has_text("$1.50"), where, "the bonus reads $1.50")
        pay = page.posts_to("review-bonus-batch-pay")
        if role_allows(role, Action.BONUS):
            checks.that(pay, where, "a reviewer can pay the previewed bonuses")
    check_refusal(checks, "review-bonus-batch as outsider", lab.get("outsider", url), 404)
    bulk.bonus_batch_pay_start(
        membership=lab.membership("manager"), actor=lab.user("manager"), batch=batch, confirmed=True
    )
    batch.refresh_from_db()
    checks.that(batch.status != BonusBatch.Status.PREVIEW, "bonus batch", f"paid: {batch.status}")
    for role in ROLES:
        where = f"review-bonus-batch [paid] as {role}"
        page = lab.get(role, url, where=where)
        checks.page(where, page, role)
        checks.that(not page.posts_to("review-bonus-batch-pay"), where, "nothing left to pay")
        checks.that(page.has_text("$1.50"), where, "the paid bonus reads $1.50")
        checks.that("paid" in page.text.casefold(), where, "says the bonuses are paid")
    checks.done()


def test_quality_pages(lab, decided, checks):
    from apps.qualifications import services as qualifications
    from apps.review.quality import scores

    batch = decided.batch
    qtype = qualifications.qualification_type_create(
        membership=lab.membership("manager"),
        actor=lab.user("manager"),
        data={"name": "Careful labeller", "description": "Labels with care.", "status": "Active"},
    )
    pages = {
        "review-quality": reverse("review-quality"),
        "review-batch": reverse("review-batch", args=[batch.pk]),
        "review-batch-quality": reverse("review-batch-quality", args=[batch.pk]),
    }
    for name, url in pages.items():
        for role in ROLES:
            where = f"{name} [decided batch] as {role}"
            page = lab.get(role, url, where=where)
            if not checks.that(page.status == 200, where, f"answers {page.status}"):
                continue
            checks.page(where, page, role)
            if name == "review-batch" and role_allows(role, Action.LAUNCH):
                checks.that(page.posts_to("review-rule-create"), where, "a manager adds rules")
            if name == "review-batch-quality" and role_allows(role, Action.QUALIFICATIONS):
                checks.that(
                    page.posts_to("review-score-update-create"), where, "a manager sets scores"
                )
        if name != "review-quality":
            where = f"{name} as outsider"
            check_refusal(checks, where, lab.get("outsider", url, where=where), 404)
    try:
        update = scores.score_update_preview(
            membership=lab.membership("manager"),
            actor=lab.user("manager"),
            batch=batch,
            qualification_type=qtype,
            source="agreement",
        )
    except Exception as exc:
        checks.that(False, "review-score-update", f"no preview could be made: {exc}")
    else:
        # One assignment per HIT: nobody agrees or disagrees with a majority, so no figures.
        checks.that(update.changes == [], "review-score-update", f"changes: {update.changes}")
        url = reverse("review-score-update", args=[update.pk])
        for role in ROLES:
            where = f"review-score-update [preview, no worker with a figure] as {role}"
            page = lab.get(role, url, where=where)
            checks.that(page.status == 200, where, f"answers {page.status}")
            checks.page(where, page, role)
            checks.that(page.has_text("Careful labeller"), where, "names the qualification")
            checks.that(page.has_text("nothing to set"), where, "says there is nothing to set")
            checks.that(
                not page.posts_to("review-score-update-apply"), where, "no button sets nothing"
            )
        check_refusal(checks, "review-score-update as outsider", lab.get("outsider", url), 404)
    checks.done()


def test_bonus_above_the_reviewers_cap_asks_a_manager(lab, decided, checks):
    """A manager may pay past the reviewers' cap ($5.00 per assignment), after one question
    naming the number and the money (issue #15, point 8); nothing is paid by the question."""
    approved = decided.assignments["approved"]
    text = (
        "WorkerId,AssignmentId,Amount,Reason\n"
        f"{approved.worker_id},{approved.mturk_id},12,Found every bird\n"
    )
    batch = bulk.bonus_csv_read(
        membership=lab.membership("manager"),
        actor=lab.user("manager"),
        upload=SimpleUploadedFile("bonuses.csv", text.encode(), content_type="text/csv"),
    )
    url = reverse("review-bonus-batch-pay", args=[batch.pk])
    for role in ("manager", "admin"):
        where = f"review-bonus-batch-pay [one $12 bonus, cap $5.00] as {role}"
        page = lab.post(role, url)
        if not checks.that(page.status == 200, where, f"answers {page.status}, not a question"):
            continue
        checks.page(where, page, role)
        checks.that(page.has_text("$12.00"), where, "the question names $12.00")
        checks.that(page.has_text("$5.00"), where, "and the reviewers' cap, $5.00")
        checks.that(page.posts_to("review-bonus-batch-pay"), where, "one button pays after all")
    batch.refresh_from_db()
    checks.that(batch.status == BonusBatch.Status.PREVIEW, "bonus batch", "nothing paid yet")
    where = "review-bonus-batch [preview, above the cap] as reviewer"
    page = lab.get("reviewer", reverse("review-bonus-batch", args=[batch.pk]), where=where)
    checks.page(where, page, "reviewer")
    checks.that(page.has_text("$12.00"), where, "the reviewer reads the amount")
    checks.done()


def test_hostile_answers_are_shown_as_text(lab, project, checks):
    """A worker's answer is attacker input: the card shows it as text, never as markup."""
    from tests.pages.conftest import batch_launch, batch_upload

    hostile = '<img src=x onerror="alert(1)"><b>cat</b>'
    batch = batch_launch(lab, batch_upload(lab, project, "Hostile", 1))
    lab.emulator.complete("APAGESHOSTILE001", batch.rows.get().hit_mturk_id, {"label": hostile})
    lab.sync()
    for role in ROLES:
        where = f"review-queue [a hostile answer] as {role}"
        page = lab.get(role, reverse("review-queue"), where=where)
        checks.page(where, page, role)
        checks.that(hostile in page.text, where, "the answer reads as the worker typed it")
        checks.that("<img src=x" not in page.html, where, "the answer is not markup")
        where = f"workers-detail [a hostile answer] as {role}"
        page = lab.get(role, reverse("workers-detail", args=["APAGESHOSTILE001"]), where=where)
        checks.that("<img src=x" not in page.html, where, "the answer is not markup")
    checks.done()


def test_redundancy_page(lab, checks):
    """Adaptive redundancy: its settings alone, a plan with a contested HIT, the batch's rule on
    and off; managers get the buttons, the others read the plan."""
    from decimal import Decimal

    from apps.review.models import RedundancyRule
    from apps.review.quality import redundancy
    from tests.batches.conftest import make_project
    from tests.pages.conftest import TEMPLATE, batch_launch, batch_upload

    project = make_project(
        lab.account,
        lab.user("manager"),
        name="Three answers each",
        template=TEMPLATE,
        reward=Decimal("0.50"),
        max_assignments=3,
        lifetime=3 * 86400,
    )
    batch = batch_launch(lab, batch_upload(lab, project, "Contested", 2))
    agreed, contested = [row.hit_mturk_id for row in batch.rows.order_by("index")]
    for number, label in enumerate(["cat", "cat", "cat"]):
        lab.emulator.complete(f"APAGESAGREE0{number}", agreed, {"label": label})
    for number, label in enumerate(["cat", "dog", "bird"]):
        lab.emulator.complete(f"APAGESSPLIT0{number}", contested, {"label": label})
    lab.sync()
    url = reverse("review-batch-redundancy", args=[batch.pk])
    plan = {"threshold": "80", "extra": "2", "max_per_hit": "7", "cost_cap": "5"}

    def read(state: str, query: dict) -> None:
        for role in ROLES:
            where = f"review-batch-redundancy [{state}] as {role}"
            page = lab.get(role, url, where=where, **query)
            if not checks.that(page.status == 200, where, f"answers {page.status}"):
                continue
            checks.page(where, page, role)
            manager = role_allows(role, Action.LAUNCH)
            if query:
                checks.that(
                    page.has_text("2 more assignments on 1 HIT: $1.20"),
                    where,
                    "says what the plan adds and costs ($0.50 x 2 with 20% fees)",
                )
                checks.that(page.has_text("1 HIT agrees enough"), where, "says why one is left")
                checks.that(contested in page.text, where, "lists the contested HIT")
                checks.that(agreed not in page.text, where, "does not list the agreed HIT")
                checks.that(
                    bool(page.posts_to("review-redundancy-apply")) == manager,
                    where,
                    "the add button is a manager's",
                )
                if not manager:
                    checks.that(page.has_text("Managers add assignments."), where, "says who")
            if state.startswith("rule"):
                checks.that(page.has_text("Rule: Below 80% agreement"), where, "shows the rule")
                checks.that(
                    bool(page.posts_to("review-redundancy-rule-toggle")) == manager,
                    where,
                    "a manager turns it on or off",
                )
        check_refusal(
            checks,
            f"review-batch-redundancy [{state}] as outsider",
            lab.get("outsider", url, **query),
            404,
        )

    read("settings only", {})
    read("a contested HIT", plan)
    rule = redundancy.rule_save(
        membership=lab.membership("manager"),
        actor=lab.user("manager"),
        batch=batch,
        threshold=0.8,
        extra=2,
        max_per_hit=7,
        cost_cap=Decimal("5"),
    )
    read("rule on", {})
    RedundancyRule.objects.filter(pk=rule.pk).update(enabled=False)
    read("rule off", {})
    checks.done()


def test_batch_aggregate_downloads(lab, decided, checks):
    """aggregate.csv and aggregate.jsonl: one line per HIT for every role, a rejected answer
    left out, another account's batch not found."""
    import csv
    import io
    import json

    batch, rejected = decided.batch, decided.assignments["rejected"].hit.mturk_id
    for role in ROLES:
        where = f"review-batch-aggregate-csv [decided] as {role}"
        page = lab.get(role, reverse("review-batch-aggregate-csv", args=[batch.pk]), where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.that(page.content_type.startswith("text/csv"), where, page.content_type)
        rows = list(csv.DictReader(io.StringIO(page.text.lstrip("\ufeff"))))
        checks.that(len(rows) == 4, where, f"one line per HIT: {len(rows)}")
        header = list(rows[0]) if rows else []
        checks.that(
            header[:3] == ["HITId", "Input.image_url", "Input.caption"]
            and {"label", "label.confidence", "label.agreement", "label.answers"} <= set(header),
            where,
            f"the HIT, the inputs, then each field's four columns: {header}",
        )
        by_hit = {row["HITId"]: row for row in rows}
        left_out = by_hit.get(rejected, {})
        checks.that(
            left_out.get("label") == "" and left_out.get("label.answers") == "0",
            where,
            f"the rejected answer does not count: {left_out}",
        )
        approved = by_hit.get(decided.assignments["approved"].hit.mturk_id, {})
        checks.that(
            approved.get("label") == f"cat {decided.workers['approved']}",
            where,
            f"an approved answer is its HIT's result: {approved}",
        )

        where = f"review-batch-aggregate-jsonl [decided] as {role}"
        url = reverse("review-batch-aggregate-jsonl", args=[batch.pk])
        page = lab.get(role, url, where=where, method="majority")
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.that("json" in page.content_type, where, page.content_type)
        try:
            records = [json.loads(line) for line in page.text.splitlines()]
        except ValueError as exc:
            checks.that(False, where, f"a line is not JSON: {exc}")
        else:
            checks.that(len(records) == 4, where, f"one object per HIT: {len(records)}")
            checks.that(
                all(r["Aggregate"]["label"]["kind"] == "text" for r in records),
                where,
                "each field in its kind's shape",
            )
    for name in ("review-batch-aggregate-csv", "review-batch-aggregate-jsonl"):
        where = f"{name} as outsider"
        page = lab.get("outsider", reverse(name, args=[batch.pk]), where=where)
        checks.that(page.status == 404, where, f"answers {page.status}, not 404")
    checks.done()


def test_batch_results_page(lab, decided, checks):
    """A batch's results page, read by every role: each HIT's input and answer, the worker
    linked to their page with the assignment's status; no action for anybody; 404 outside."""
    url = reverse("review-batch-results", args=[decided.batch.pk])
    statuses = {"submitted": "Submitted", "approved": "Approved", "rejected": "Rejected"}
    statuses["overridden"] = "Approved"
    for role in ROLES:
        where = f"review-batch-results [decided batch] as {role}"
        page = lab.get(role, url, where=where)
        if not checks.that(page.status == 200, where, f"answers {page.status}"):
            continue
        checks.page(where, page, role)
        checks.that(page.has_text(f"Results · {decided.batch.name}"), where, "names the batch")
        checks.that(page.has_text("4 HITs"), where, "counts the batch's HITs")
        for state, assignment in decided.assignments.items():
            here = f"{where}, the {state} assignment"
            worker = decided.workers[state]
            checks.that(
                any(worker in link.href for link in page.links_to("workers-detail")),
                here,
                f"the worker id {worker} links to the worker's page",
            )
            checks.that(assignment.hit.mturk_id in page.text, here, "its HIT is listed")
            checks.that(f"cat {worker}" in page.text, here, "its answer is shown")
        checks.that(all(statuses[s] in page.text for s in statuses), where, "each answer's status")
        checks.that(not page.posts_to("review-approve"), where, "a page to read, not to decide")
        checks.that(page.links_to("batches-detail"), where, "links back to the batch")
    check_refusal(checks, "review-batch-results as outsider", lab.get("outsider", url), 404)
    checks.done()
