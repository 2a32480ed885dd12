"""Worker pages: a worker never blocked, blocked, and unblocked, read by every role and by an
outsider; the list with and without blocked workers; the worker CSV round trip."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from apps.hits.models import Assignment
from apps.review.bonuses import services as bonuses
from apps.workers import csvround
from apps.workers import services as workers
from tests.batches.conftest import csv_upload
from tests.helpers import create_hit
from tests.pages.conftest import ROLES, check_refusal, decide

pytestmark = pytest.mark.django_db(transaction=True)

NEVER, BLOCKED, UNBLOCKED = "APAGESNEVER00001", "APAGESBLOCKED001", "APAGESUNBLOCK001"
REASON = "Copied the same answer into every HIT."


@dataclass
class Crowd:
    never: str
    blocked: str
    unblocked: str


def _work_outside(lab, worker_ids: list[str]) -> None:
    """A HIT made outside the dashboard, worked by each worker, then mirrored."""
    hit = create_hit(lab.mturk, Reward="0.50", MaxAssignments=len(worker_ids))
    for worker_id in worker_ids:
        lab.emulator.complete(worker_id, hit["HITId"], {"label": "cat"})
    lab.sync()


@pytest.fixture
def crowd(lab) -> Crowd:
    _work_outside(lab, [NEVER, BLOCKED, UNBLOCKED])
    manager = lab.membership("manager")
    # The never-blocked worker's work is approved and bonused: the page shows money.
    assignment = Assignment.objects.get(worker_id=NEVER)
    decide(lab, assignment, "approve")
    bonuses.bonus_send(
        membership=manager,
        actor=lab.user("manager"),
        worker_id=NEVER,
        assignment_mturk_id=assignment.mturk_id,
        amount="1.5",
        reason="Careful work.",
        form_nonce="pages-bonus-1",
        hit_mturk_id=assignment.hit.mturk_id,
    )
    workers.worker_block(
        membership=manager, actor=lab.user("manager"), worker_id=BLOCKED, reason=REASON
    )
    workers.worker_block(
        membership=manager, actor=lab.user("manager"), worker_id=UNBLOCKED, reason=REASON
    )
    workers.worker_unblock(
        membership=manager, actor=lab.user("manager"), worker_id=UNBLOCKED, reason="Appealed."
    )
    lab.sync()
    return Crowd(NEVER, BLOCKED, UNBLOCKED)


def _may_block(role: str) -> bool:
    from apps.requesters.roles import Action, role_allows

    return role_allows(role, Action.WORKERS)


def test_worker_detail(lab, crowd, checks):
    """The page of issue #15's first point: BLOCKED only when the worker is blocked, a Block
    button when not, Unblock (and the block's reason) when blocked, nothing to press for roles
    that may not."""
    states = {"never blocked": crowd.never, "blocked": crowd.blocked, "unblocked": crowd.unblocked}
    for state, worker_id in states.items():
        url = reverse("workers-detail", args=[worker_id])
        for role in ROLES:
            where = f"workers-detail [{state}] as {role}"
            page = lab.get(role, url, where=where)
            if not checks.that(page.status == 200, where, f"answers {page.status}"):
                continue
            checks.page(where, page, role)
            heading = page.heading()
            checks.that(worker_id in heading, where, f"the heading {heading!r} names the worker")
            if state == "blocked":
                checks.that(
                    "blocked" in heading.casefold(),
                    where,
                    f"a blocked worker's heading says blocked; it reads {heading!r}",
                )
                checks.that(page.has_text(REASON), where, "the block's reason is shown")
            else:
                checks.that(
                    "blocked" not in heading.casefold(),
                    where,
                    f"a {state} worker's heading says nothing of a block; it reads {heading!r}",
                )
                checks.that(
                    not page.has_text(REASON),
                    where,
                    "no block reason is shown for a worker who is not blocked",
                )
            block_forms = page.posts_to("workers-block")
            unblock_forms = page.posts_to("workers-unblock")
            if _may_block(role):
                if state == "blocked":
                    checks.that(
                        unblock_forms and any("Unblock" in f.button_texts for f in unblock_forms),
                        where,
                        "a manager sees an Unblock button for a blocked worker",
                    )
                    checks.that(not block_forms, where, "no Block button for a blocked worker")
                else:
                    checks.that(
                        block_forms and any("Block" in f.button_texts for f in block_forms),
                        where,
                        f"a Block button for a {state} worker; the forms post to "
                        f"{[f.url_name for f in page.forms if f.method == 'post']}",
                    )
                    checks.that(not unblock_forms, where, f"no Unblock button for a {state} worker")
                checks.that(
                    page.posts_to("workers-message"), where, "a manager can message the worker"
                )
            else:
                checks.that(
                    not block_forms and not unblock_forms,
                    where,
                    "no Block or Unblock button for a role that may not block",
                )
            if worker_id == crowd.never:
                checks.that(page.has_text("$1.50"), where, "the $1.50 bonus is shown as $1.50")
    # Another account has never seen these workers: the outsider learns nothing of them.
    for worker_id in states.values():
        where = f"workers-detail [{worker_id}] as outsider"
        page = lab.get("outsider", reverse("workers-detail", args=[worker_id]), where=where)
        checks.that(page.status == 404, where, f"answers {page.status}, not 404")
        checks.that(REASON not in page.text, where, "no block reason of our account is shown")
    checks.done()


def test_worker_list(lab, crowd, checks):
    url = reverse("workers-list")
    for role in ROLES:
        where = f"workers-list [one blocked, one unblocked] as {role}"
        page = lab.get(role, url, where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.page(where, page, role)
        for worker_id in (crowd.never, crowd.blocked, crowd.unblocked):
            checks.that(
                page.links_to("workers-detail") and worker_id in page.text,
                where,
                f"{worker_id} is listed with a link to their page",
            )
        links = {link.href for link in page.links_to("workers-detail")}
        checks.that(
            any(crowd.blocked in href for href in links), where, "the blocked worker is linked"
        )
        if _may_block(role):
            checks.that(
                page.links_to("workers-import"), where, "a manager sees the worker CSV upload"
            )
        checks.that(page.links_to("workers-export"), where, "every role may download the CSV")
        where = f"workers-list ?blocked=yes as {role}"
        page = lab.get(role, url, where=where, blocked="yes")
        checks.page(where, page, role)
        listed = {link.href for link in page.links_to("workers-detail")}
        checks.that(
            any(crowd.blocked in href for href in listed)
            and not any(crowd.never in href or crowd.unblocked in href for href in listed),
            where,
            f"only the blocked worker is listed; the links are {sorted(listed)}",
        )
    where = "workers-list [outsider's own account] as outsider"
    page = lab.get("outsider", url, where=where)
    checks.that(page.status == 200, where, f"answers {page.status}")
    checks.that(
        all(w not in page.text for w in (crowd.never, crowd.blocked, crowd.unblocked)),
        where,
        "another account's workers are not listed",
    )
    checks.done()


def test_worker_list_with_nobody_blocked_says_so(lab, checks):
    _work_outside(lab, [NEVER])
    for role in ROLES:
        where = f"workers-list ?blocked=yes [nobody blocked] as {role}"
        page = lab.get(role, reverse("workers-list"), where=where, blocked="yes")
        checks.page(where, page, role)
        checks.that(NEVER not in page.text, where, "a worker who is not blocked is not listed")
        checks.that(
            "blocked" in page.text.casefold()
            and any(w in page.text.casefold() for w in ("no worker", "nobody", "no one")),
            where,
            "the empty list says that nobody is blocked",
        )
    checks.done()


def test_worker_export_and_import(lab, crowd, checks):
    for role in ROLES:
        where = f"workers-export as {role}"
        page = lab.get(role, reverse("workers-export"), where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.that(page.content_type.startswith("text/csv"), where, page.content_type)
        first = page.text.lstrip("\ufeff").splitlines()[0] if page.text else ""
        checks.that(first.startswith("WorkerId,"), where, f"the first line is {first!r}")
        checks.that(crowd.blocked in page.text, where, "the blocked worker is in the file")

        where = f"workers-import as {role}"
        page = lab.get(role, reverse("workers-import"), where=where)
        if _may_block(role):
            checks.that(page.status == 200, where, f"answers {page.status}")
            checks.page(where, page, role)
            upload = page.posts_to("workers-import")
            checks.that(
                upload and any(f.get("type") == "file" for f in upload[0].fields),
                where,
                "a form uploads the worker CSV",
            )
        else:
            checks.that(page.status == 403, where, f"answers {page.status}, not 403")
    checks.done()


def test_worker_update(lab, crowd, checks):
    """A worker CSV that blocks one worker and unblocks another: the check page names them."""
    text = (
        "WorkerId,Submitted,Approved,Rejected,BlockStatus,UPDATE-BlockStatus\n"
        f"{crowd.never},1,1,0,,Block\n"
        f"{crowd.blocked},1,0,0,Blocked,Unblock\n"
    )
    update = csvround.worker_csv_read(
        membership=lab.membership("manager"),
        actor=lab.user("manager"),
        upload=csv_upload(text, "workers.csv"),
        block_reason="Spam answers.",
    )
    url = reverse("workers-update", args=[update.pk])
    for role in ROLES:
        where = f"workers-update [preview: one block, one unblock] as {role}"
        page = lab.get(role, url, where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.page(where, page, role)
        for worker_id in (crowd.never, crowd.blocked):
            checks.that(
                worker_id in page.text, where, f"the change touching {worker_id} names them"
            )
        applies = page.posts_to("workers-update")
        if _may_block(role):
            checks.that(applies, where, "a manager sees the button that applies the changes")
    where = "workers-update as outsider"
    page = lab.get("outsider", url, where=where)
    checks.that(page.status == 404, where, f"answers {page.status}, not 404")
    lab.post("manager", url)
    for role in ROLES:
        where = f"workers-update [applied] as {role}"
        page = lab.get(role, url, where=where)
        checks.page(where, page, role)
        checks.that(not page.posts_to("workers-update"), where, "nothing left to apply")
        checks.that(page.has_text("2 applied"), where, "says the two changes were applied")
    checks.done()


def test_message_many(lab, decided, checks):
    """Message a batch's workers at once (issue #15, point 9): counted first, then sent."""
    url = reverse("workers-message-many")
    for role in ROLES:
        where = f"workers-message-many [a batch of 4 workers] as {role}"
        page = lab.get(role, url, where=where, batch=str(decided.batch.pk))
        if not _may_block(role):
            check_refusal(checks, where, page, 403)
            continue
        if not checks.that(page.status == 200, where, f"answers {page.status}"):
            continue
        checks.page(where, page, role)
        checks.that(page.has_button("Send to 4 workers"), where, "the button counts the workers")
    where = "workers-message-many as outsider"
    page = lab.get("outsider", url, where=where, batch=str(decided.batch.pk))
    check_refusal(checks, where, page, 404)
    sent = workers.workers_message(
        membership=lab.membership("manager"),
        actor=lab.user("manager"),
        worker_ids=list(decided.workers.values()),
        subject="Thank you",
        text="Thanks for the labels.",
    )
    result = reverse("workers-message-result", args=[sent.pk])
    for role in ROLES:
        where = f"workers-message-result [sent to 4] as {role}"
        page = lab.get(role, result, where=where)
        checks.that(page.status == 200, where, f"answers {page.status}")
        checks.page(where, page, role)
        said = f"Sent to {sent.sent_count} of 4 workers"
        checks.that(page.has_text(said), where, f"says {said!r}")
        for worker_id in sent.failures:
            checks.that(worker_id in page.text, where, f"names {worker_id}, who did not get it")
    check_refusal(checks, "workers-message-result as outsider", lab.get("outsider", result), 404)
    checks.done()
