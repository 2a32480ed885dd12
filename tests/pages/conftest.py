"""The page-state suite's world: one account at the local MTurk with a member of each role and an
outsider, objects put into each state by the real services (launches, the crowd's work,
decisions, blocks, bonuses, reconciliation), and a reader that renders a page as a role and
collects every check that failed instead of stopping at the first.

Every state is made as a requester would make it: a batch is uploaded and launched through
`apps.batches.services`, the local MTurk's workers submit, `apps.sync.services.requester_sync`
mirrors the work, `assignment_approve` / `assignment_reject` decide it, `worker_block` blocks.
Nothing writes a status field by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client

from apps.batches import services as batch_services
from apps.batches.models import Batch, BatchStatus
from apps.hits.models import Assignment
from apps.requesters.models import Membership
from apps.sync.services import requester_sync
from tests.batches.conftest import csv_upload, make_project
from tests.pages.reading import Page, problems, read

ROLES = ["viewer", "reviewer", "manager", "admin"]
PERSONAS = {"viewer": "victor", "reviewer": "bob", "manager": "carol", "admin": "alice"}

# Page, state and role renders checked in this run (the suite's size, said at the end).
RENDERS: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    if RENDERS:
        terminalreporter.write_line(
            f"page-state suite: {len(RENDERS)} page x state x role renders checked"
        )


class Checks:
    """Every failed expectation of a test, listed together when it ends (`done()`).

    A page read as one role in one state gives many answers (its badge, its buttons, its
    amounts); stopping at the first would hide the rest of what a person would see wrong.
    """

    def __init__(self) -> None:
        self.failures: list[str] = []

    def that(self, condition: bool, where: str, message: str) -> bool:
        if not condition:
            self.failures.append(f"{where}: {message}")
        return bool(condition)

    def page(self, where: str, page: Page, role: str | None, **options) -> None:
        """What no page shows anybody: see `reading.problems`."""
        for problem in problems(page, role=role, **options):
            self.failures.append(f"{where}: {problem}")

    def done(self) -> None:
        if self.failures:
            listing = "\n".join(f"- {f}" for f in dict.fromkeys(self.failures))
            pytest.fail(f"{len(self.failures)} page check(s) failed:\n{listing}", pytrace=False)


@pytest.fixture
def checks():
    return Checks()


@pytest.fixture
def eager():
    """Celery tasks run inline, as soon as their transaction commits."""
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@dataclass
class Lab:
    """The account, its people, and the local MTurk behind it."""

    account: object
    emulator: object
    mturk: object
    people: dict
    outsider: object
    clients: dict = field(default_factory=dict)

    def membership(self, role: str = "admin") -> Membership:
        return Membership.objects.select_related("requester").get(
            user=self.people[role], requester=self.account
        )

    def user(self, role: str):
        return self.people[role]

    def client(self, role: str) -> Client:
        """A signed-in browser for the role ("outsider": the other account's admin)."""
        if role not in self.clients:
            client = Client()
            user = self.outsider if role == "outsider" else self.people[role]
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
            self.clients[role] = client
        return self.clients[role]

    def get(self, role: str, url: str, *, where: str = "", htmx: bool = False, **data) -> Page:
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = self.client(role).get(url, data or None, **headers)
        RENDERS.append(f"{where or url} as {role}")
        return read(response, url)

    def post(self, role: str, url: str, data: dict | None = None, *, htmx: bool = False) -> Page:
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = self.client(role).post(url, data or {}, **headers)
        RENDERS.append(f"POST {url} as {role}")
        return read(response, url)

    def sync(self) -> None:
        requester_sync(requester=self.account)


@pytest.fixture
def lab(
    local_account,
    alice,
    carol,
    bob,
    victor,
    charlie,
    emulator,
    account_mturk,
    eager,
    settings,
    tmp_path,
) -> Lab:
    settings.VAR_DIR = tmp_path
    return Lab(
        account=local_account,
        emulator=emulator,
        mturk=account_mturk,
        people={"admin": alice, "manager": carol, "reviewer": bob, "viewer": victor},
        outsider=charlie,
    )


# --- batches --------------------------------------------------------------------------------

TEMPLATE = """<!DOCTYPE html><html><body>
<form name="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" name="assignmentId" value="">
<p>What does ${image_url} show? (${caption})</p>
<input name="label"><input type="submit">
</form></body></html>"""


def rows_csv(n: int, prefix: str = "picture") -> str:
    lines = ["image_url,caption"]
    lines += [f"https://example.org/{prefix}-{i}.png,{prefix} {i}" for i in range(n)]
    return "\n".join(lines) + "\n"


def batch_upload(lab: Lab, project, name: str, rows: int) -> Batch:
    """A batch from a CSV, checked (`validated`: ready to launch), as the upload page makes it."""
    return batch_services.batch_create(
        membership=lab.membership("manager"),
        actor=lab.user("manager"),
        project=project,
        name=name,
        upload=csv_upload(rows_csv(rows, prefix=name.lower().replace(" ", "-"))),
    )


def batch_launch(lab: Lab, batch: Batch) -> Batch:
    """Launch through the service; the launch task runs when the caller's transaction commits
    (at once outside a transaction block)."""
    batch_services.batch_launch(
        membership=lab.membership("manager"), actor=lab.user("manager"), batch=batch
    )
    batch.refresh_from_db()
    return batch


@pytest.fixture
def project(lab):
    return make_project(
        lab.account,
        lab.user("manager"),
        name="Label images",
        template=TEMPLATE,
        reward=Decimal("0.50"),
        max_assignments=1,
        lifetime=3 * 86400,
        assignment_duration=600,
        auto_approval_delay=3 * 86400,
    )


@dataclass
class Work:
    """A launched batch worked by the local MTurk's workers and mirrored by a sync."""

    batch: Batch
    assignments: dict[str, Assignment]  # state name -> assignment
    workers: dict[str, str]  # state name -> worker id


def crowd_submit(lab: Lab, batch: Batch, workers: list[str]) -> list[str]:
    """Worker i submits row i's HIT; returns the assignment ids."""
    done = []
    rows = list(batch.rows.order_by("index"))
    for row, worker in zip(rows, workers, strict=False):
        done.append(lab.emulator.complete(worker, row.hit_mturk_id, {"label": f"cat {worker}"}))
    return done


def decide(lab: Lab, assignment: Assignment, decision: str, *, role: str = "reviewer") -> None:
    from apps.review.decisions import services as decisions

    assignment.refresh_from_db()
    if decision == "approve":
        decisions.assignment_approve(
            membership=lab.membership(role), assignment=assignment, actor=lab.user(role)
        )
    else:
        decisions.assignment_reject(
            membership=lab.membership(role),
            assignment=assignment,
            actor=lab.user(role),
            feedback="The label does not name the picture.",
        )


@pytest.fixture
def decided(lab, project) -> Work:
    """Four workers on four HITs: one assignment left submitted, one approved, one rejected,
    one rejected then approved after all (OverrideRejection)."""
    batch = batch_launch(lab, batch_upload(lab, project, "Decided", 4))
    names = ["submitted", "approved", "rejected", "overridden"]
    workers = {name: f"APAGES{name.upper()[:8]}01" for name in names}
    ids = crowd_submit(lab, batch, [workers[n] for n in names])
    lab.sync()
    assignments = {n: Assignment.objects.get(mturk_id=i) for n, i in zip(names, ids, strict=True)}
    decide(lab, assignments["approved"], "approve")
    decide(lab, assignments["rejected"], "reject")
    decide(lab, assignments["overridden"], "reject")
    decide(lab, assignments["overridden"], "approve")
    for a in assignments.values():
        a.refresh_from_db()
    assert [assignments[n].status for n in names] == [
        "Submitted",
        "Approved",
        "Rejected",
        "Approved",
    ]
    batch.refresh_from_db()
    return Work(batch=batch, assignments=assignments, workers=workers)


@pytest.fixture
def batches(lab, project) -> dict[str, Batch]:
    """A batch in each state a requester meets: draft (checked, not launched), launched with
    work still to come, done (every HIT's work in and approved), cancelled. `launching` is
    caught by `launching_batch` below, inside the launch's own transaction."""
    states = {}
    states["draft"] = batch_upload(lab, project, "Draft", 2)
    launched = batch_launch(lab, batch_upload(lab, project, "Launched", 2))
    crowd_submit(lab, launched, ["APAGESLAUNCHED01"])
    done = batch_launch(lab, batch_upload(lab, project, "Done", 2))
    crowd_submit(lab, done, ["APAGESDONE000001", "APAGESDONE000002"])
    lab.sync()
    for assignment in Assignment.objects.filter(hit__batch_rows__batch=done):
        decide(lab, assignment, "approve")
    lab.sync()
    states["launched"], states["done"] = launched, done
    cancelled = batch_upload(lab, project, "Cancelled", 2)
    with transaction.atomic():
        batch_launch(lab, cancelled)
        batch_services.batch_cancel(
            membership=lab.membership("manager"),
            actor=lab.user("manager"),
            batch=cancelled,
            expire=True,
        )
    states["cancelled"] = cancelled
    for batch in states.values():
        batch.refresh_from_db()
    assert {n: b.status for n, b in states.items()} == {
        "draft": BatchStatus.VALIDATED,
        "launched": BatchStatus.LAUNCHED,
        "done": BatchStatus.LAUNCHED,
        "cancelled": BatchStatus.CANCELLED,
    }, {n: b.status for n, b in states.items()}
    return states


_WHY = {
    403: ("cannot", "role", "permission", "not allowed", "may not"),
    404: ("not found", "no such", "does not exist", "never", "not exist"),
}


def check_refusal(checks: Checks, where: str, page: Page, status: int) -> None:
    """A refusal is a page of the site: its header and navigation, and a sentence saying why."""
    if not checks.that(page.status == status, where, f"answers {page.status}, not {status}"):
        return
    checks.that(
        bool(page.links_to("home")) and bool(page.links_to("review-queue")),
        where,
        f"the {status} page uses the site's layout (header and navigation); it reads "
        f"{page.text[:80]!r}",
    )
    checks.that(
        any(word in page.text.casefold() for word in _WHY[status]),
        where,
        f"the {status} page says why; it reads {page.text[:120]!r}",
    )
