"""The whole journey in a real browser, as a requester team would click it.

A fresh install (the `bootstrap` command: an admin and the "Local MTurk" account with its SQS
queue) → sign in → a project from an HTML template → a CSV → a row previewed → the estimate read
→ launch, confirmed once with the money → the simulated crowd works the batch → the answers
arrive through MTurk's notifications, polled by the real Celery worker as beat would (no sync),
and the open batch page follows them without a reload → keyboard review: `a` and `r` move on by
themselves, approve most, reject one with feedback → bonus two workers → an exclusion group in one
click → the next study, a copy of the pilot's project, keeps the group out → the results CSV
downloaded → the local MTurk's balance is the starting balance minus exactly the money the
dashboard shows → a worker blocked from their page.

With `SCREENSHOTS=1` each step is saved to docs/screenshots/NN-step.png (`make screenshots`).
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.audit.models import AuditEvent
from apps.batches.models import Batch
from apps.hits.models import Assignment
from apps.mturk import fees
from apps.notifications.models import NotificationEvent
from apps.notifications.tasks import notifications_poll_all
from apps.qualifications.models import QualificationType
from apps.requesters.models import Requester
from tests.fixtures.celery import start_celery_worker
from tests.fixtures.emulator import EmulatorControlError, make_mturk_client
from tests.helpers import paid_at_mturk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT_DIR = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
PASSWORD = "journey-admin-password"
TIMEOUT_MS = 20_000
# Screenshots stop there: the README shows the top of each page, the files stay small.
MAX_HEIGHT = 1200

TEMPLATE = """<!DOCTYPE html><html><body>
<form name="mturk_form" method="post" action="https://www.mturk.com/mturk/externalSubmit">
<input type="hidden" name="assignmentId" value="">
<h2>${caption}</h2>
<p>Which animal does this photo of ${photo} show?</p>
<label><input type="radio" name="animal" value="cat"> cat</label>
<label><input type="radio" name="animal" value="dog"> dog</label>
<label><input type="radio" name="animal" value="bird"> bird</label>
<p><input type="submit" value="Submit"></p>
</form></body></html>"""

PILOT_CSV = (
    "photo,caption\n"
    "garden-01.jpg,A garden in May\n"
    "street-02.jpg,A street at noon\n"
    "shore-03.jpg,A shore at dusk\n"
)
FOLLOW_UP_CSV = "photo,caption\npark-04.jpg,A park in June\nfield-05.jpg,A field at dawn\n"

REWARD = Decimal("0.50")
ASSIGNMENTS_PER_HIT = 2
REJECTION = "The animal chosen is not in the photo."
BONUSES = {"ACROWDDIL0001": Decimal("0.75"), "ACROWDAVE0001": Decimal("0.40")}
FRESH_WORKER = "AJOURNEYNEW0001"


class Screenshots:
    """PNGs of each step, numbered in order, only when SCREENSHOTS=1."""

    def __init__(self, page) -> None:
        self.page = page
        self.number = 0
        self.enabled = os.environ.get("SCREENSHOTS") == "1"
        if self.enabled:
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            for old in SCREENSHOT_DIR.glob("[0-9][0-9]-*.png"):
                old.unlink()

    def __call__(self, name: str, *, whole: bool = True) -> None:
        """The page from its top (up to MAX_HEIGHT pixels), or only what the window shows."""
        self.number += 1
        if not self.enabled:
            return
        path = str(SCREENSHOT_DIR / f"{self.number:02d}-{name}.png")
        if not whole:
            self.page.screenshot(path=path, animations="disabled")
            return
        width, height = self.page.evaluate(
            "() => [document.documentElement.clientWidth, document.documentElement.scrollHeight]"
        )
        clip = {"x": 0, "y": 0, "width": width, "height": min(height, MAX_HEIGHT)}
        self.page.screenshot(path=path, full_page=True, clip=clip, animations="disabled")


@pytest.fixture
def fresh_install(settings, emulator_server, sqs_queue, monkeypatch) -> Requester:
    """What `make run` makes on a fresh machine, pointed at this run's local MTurk and SQS."""
    settings.MTURK_LOCAL_ENDPOINT = emulator_server.url
    monkeypatch.setenv("MTURKDASH_ADMIN_PASSWORD", PASSWORD)
    call_command("bootstrap", sqs_queue_url=sqs_queue, stdout=io.StringIO())
    return Requester.objects.get(name="Local MTurk")


@pytest.fixture
def worker(fresh_install):
    """The real Celery worker; its SQS long polls are short so each poll ends quickly."""
    process = start_celery_worker(extra_env={"NOTIFICATIONS_WAIT_SECONDS": "2"})
    yield process
    process.stop()


def _money(text: str) -> Decimal:
    match = re.search(r"\$(-?[0-9][0-9,]*\.[0-9]{2})", text)
    assert match, f"no amount in {text!r}"
    return Decimal(match.group(1).replace(",", ""))


def _beat_until(predicate, *, timeout: float, message: str) -> None:
    """Send the notification poll to the worker as beat does, until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while True:
        notifications_poll_all.delay()
        round_end = time.monotonic() + 4
        while time.monotonic() < round_end:
            if predicate():
                return
            time.sleep(0.2)
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {message}")


def _create_project(page, shots, *, name: str, title: str, requirement: str | None = None):
    page.goto("/batches/projects/")
    page.click("a:has-text('New project')")
    page.wait_for_selector("a[data-blank]")
    page.click("a[data-blank]")  # the gallery's starters, or blank: this one is our own
    page.fill("#id_name", name)
    page.fill("#id_template", TEMPLATE)
    page.press("#id_template", "End")
    page.fill("#id_title", title)
    page.wait_for_selector("#check code:text-is('caption')")  # the live check's variables
    page.fill("#id_description", "Say which animal the photo shows.")
    page.fill("#id_keywords", "photo, animal, label")
    page.fill("#id_reward", str(REWARD))
    page.fill("#id_max_assignments", str(ASSIGNMENTS_PER_HIT))
    page.fill("#id_lifetime", "1")
    page.select_option("#id_lifetime_unit", "days")
    page.fill("#id_assignment_duration", "10")
    page.select_option("#id_assignment_duration_unit", "minutes")
    page.fill("#id_auto_approval_delay", "3")
    page.select_option("#id_auto_approval_delay_unit", "days")
    page.fill("#id_annotation", name)
    if requirement:
        page.select_option("#id_req-0-qualification_type", label=f"{requirement} (own)")
        page.select_option("#id_req-0-comparator", value="DoesNotExist")
        page.select_option("#id_req-0-actions_guarded", value="DiscoverPreviewAndAccept")
    if requirement is None:
        shots("new-project")
    else:
        page.locator("table.requirements").scroll_into_view_if_needed()
        shots("next-study-project", whole=False)
    page.click("form.project-form button[type=submit]")
    page.wait_for_selector(f"h1:has-text('{name}')")
    page.wait_for_selector(".message.success")


def _upload(page, *, name: str, filename: str, text: str) -> Batch:
    page.fill("#id_name", name)
    page.set_input_files(
        "#id_file", {"name": filename, "mimeType": "text/csv", "buffer": text.encode()}
    )
    page.click("button:has-text('Upload and check')")
    page.wait_for_selector(f"h1:has-text('{name}') .status-validated")
    return Batch.objects.get(name=name)


def _launch(page, batch: Batch, shots=None) -> None:
    """The batch page's Launch button, then the one confirmation that states the money."""
    page.click("#review button.primary")
    page.wait_for_selector("h1:has-text('Launch') >> text=?")
    figures = page.inner_text("#review .launch-figures")
    assert "MTurk fee" in figures and "from a balance of" in figures, figures
    assert "the local MTurk" in page.inner_text("#review .launch-environment")
    if shots:
        shots("launch-confirmation")
    page.click("#review button.primary")
    page.wait_for_selector("#progress .status-launched", timeout=TIMEOUT_MS * 2)
    batch.refresh_from_db()
    assert batch.status == "launched"


def test_the_whole_journey(page, fresh_install, worker, emulator, emulator_server):
    account = fresh_install
    mturk = make_mturk_client(emulator_server.url, access_key_id=account.access_key_id)
    starting_balance = Decimal(mturk.get_account_balance()["AvailableBalance"])
    page.set_viewport_size({"width": 1280, "height": 800})
    page.set_default_timeout(TIMEOUT_MS)
    shots = Screenshots(page)

    # Sign in with the admin the fresh install made.
    page.goto("/")
    page.wait_for_selector("#id_username")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    shots("sign-in")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Requester accounts")
    page.click("a:has-text('Local MTurk')")
    page.wait_for_selector("#balance .figure")
    page.wait_for_selector("#notification-status dl")
    assert _money(page.inner_text("#balance .figure")) == starting_balance
    shots("account")

    # A project from an HTML template, then a CSV of three rows.
    _create_project(page, shots, name="Animal photos pilot", title="Which animal is in the photo?")
    shots("project")
    pilot = _upload(page, name="Pilot", filename="pilot.csv", text=PILOT_CSV)
    assert "3 rows" in page.inner_text("section.card:has(h2:text('CSV'))")

    # The estimate shown is the fee module's figure.
    expected = fees.hits_cost(REWARD, max_assignments=ASSIGNMENTS_PER_HIT, hits=3)
    assert _money(page.inner_text("#review tr.total")) == expected.total
    assert (
        _money(page.inner_text("#review tr:has-text('MTurk fee') td:last-child")) == expected.fees
    )
    assert "Launch 3 HITs" in page.inner_text("#review button.primary")
    shots("estimate")

    # Preview the second row as a worker would see it: row 3 of the spreadsheet (the header is
    # row 1), the number every page uses for it.
    page.fill("#preview-row", "3")
    page.click("button:has-text('Show')")
    page.wait_for_url(re.compile(r"\?row=3$"))
    frame = page.frame_locator("iframe.hit-preview")
    assert frame.locator("h2").inner_text() == "A street at noon"
    assert "street-02.jpg" in frame.locator("p").first.inner_text()
    shots("preview-row")

    # Launch: the worker creates the HITs and subscribes the HIT type to the SQS queue.
    _launch(page, pilot, shots)
    assert pilot.rows.filter(hit__isnull=False).count() == 3
    shots("launched")
    # The batch page stays open from here: it follows the batch by itself, never reloaded.
    page.evaluate("() => { window.journeyStillHere = true; }")
    assert page.inner_text("table.counters tbody td:nth-child(2)") == "0"

    # The simulated crowd works the batch: two workers, each on every HIT.
    done = 0
    for profile in ("diligent", "average"):
        result = emulator.crowd_work(
            HITTypeId=pilot.hit_type_mturk_id, assignments=3, profile=profile, seed="journey"
        )
        done += result["Submitted"]
    assert done == 3 * ASSIGNMENTS_PER_HIT

    # The answers arrive through notifications only: the worker polls SQS as beat asks it to.
    submitted = Assignment.objects.filter(requester=account, status="Submitted")
    _beat_until(
        lambda: submitted.exclude(answers={}).count() == 6,
        timeout=45,
        message="six submissions through notifications",
    )
    arrived = NotificationEvent.objects.filter(
        requester=account, event_type="AssignmentSubmitted"
    ).values_list("assignment_mturk_id", flat=True)
    assert set(arrived) == set(submitted.values_list("mturk_id", flat=True))
    calls = emulator.stats()["customers"][account.access_key_id]
    assert not calls.get("ListHITs") and not calls.get("ListAssignmentsForHIT"), calls
    page.wait_for_selector("table.counters tbody td:nth-child(2):text-is('6')")
    assert page.evaluate("() => window.journeyStillHere") is True  # the same page, not reloaded
    assert page.locator("#progress[hx-trigger]").count() == 1  # still live: decisions to come
    shots("answers-arrived")

    # Review with the keyboard: approve five, reject one (the average worker on the last row).
    page.goto("/review/")
    page.wait_for_selector("[data-assignment] >> nth=5")
    assert page.locator("[data-assignment]").count() == 6
    last_hit = pilot.rows.get(index=2).hit.mturk_id
    target = Assignment.objects.get(hit__mturk_id=last_hit, worker_id="ACROWDAVE0001")
    order = page.eval_on_selector_all("[data-assignment]", "cards => cards.map(c => c.id)")
    # Each card shows its CSV row beside the answer.
    inputs = page.locator(f"#assignment-{target.pk} .io").inner_text()
    assert "A shore at dusk" in inputs and "shore-03.jpg" in inputs and "mturkdash:" not in inputs
    shots("review-queue", whole=False)
    # `j` selects the first card; each decision then moves on to the next card by itself.
    page.keyboard.press("j")
    for number, card_id in enumerate(order):
        page.wait_for_selector(f"#{card_id}.selected")
        if card_id == f"assignment-{target.pk}":
            page.keyboard.press("r")
            page.keyboard.type(REJECTION)
            shots("reject-with-feedback", whole=False)
            page.keyboard.press("Enter")
            page.wait_for_selector(f"#{card_id} .status-rejected")
        else:
            page.keyboard.press("a")
            page.wait_for_selector(f"#{card_id} .status-approved")
        if number + 1 < len(order):
            page.wait_for_selector(f"#{order[number + 1]}.selected")
    # A decided card folds to one line, which quotes the feedback.
    rejected = page.locator(f"#assignment-{target.pk} > details > summary")
    assert f"“{REJECTION}”" in rejected.inner_text()
    assert page.locator(f"#assignment-{target.pk} details[open]").count() == 0
    # Its worker id leads to the worker's page.
    assert page.locator(f"#assignment-{target.pk} summary a:has-text('ACROWDAVE0001')").count()

    # Bonus two workers, from their approved cards, still with the keyboard.
    position = len(order) - 1
    for worker_id, amount in BONUSES.items():
        card = Assignment.objects.filter(
            requester=account, worker_id=worker_id, status="Approved"
        ).order_by("hit__mturk_id")[0]
        goal = order.index(f"assignment-{card.pk}")
        page.keyboard.press("Escape")
        for _ in range(abs(goal - position)):
            page.keyboard.press("j" if goal > position else "k")
        position = goal
        page.wait_for_selector(f"#assignment-{card.pk}.selected")
        page.keyboard.press("b")
        page.keyboard.type(str(amount))
        page.keyboard.press("Tab")
        page.keyboard.type("Careful work on the pilot, thank you.")
        page.keyboard.press("Enter")
        page.wait_for_selector(f"#assignment-{card.pk} >> text=Bonus of ${amount} paid.")
    shots("reviewed-and-bonused", whole=False)
    assert page.console_errors == []

    # The rejected assignment keeps its feedback in the queue's Rejected view.
    page.goto("/review/?status=Rejected")
    page.wait_for_selector(f"#assignment-{target.pk} >> text=Feedback: {REJECTION}")

    # An exclusion group with everyone who worked on the pilot: one click on the pilot's page.
    page.goto(f"/batches/{pilot.pk}/")
    page.click("button:has-text('Exclude these workers from future studies')")
    group = f"Worked on Pilot (batch {pilot.pk})"
    page.wait_for_selector(f".message.success >> text=2 workers added to {group}")
    qtype = QualificationType.objects.get(requester=account, name=group)
    page.goto(f"/qualifications/{qtype.pk}/")
    page.wait_for_selector(f"h1:has-text('{group}') >> text=exclusion group")
    for worker_id in BONUSES:
        page.wait_for_selector(f"table >> text={worker_id}")
    shots("exclusion-group")

    # The next study starts as a copy of the pilot's project, and requires that its workers
    # are not in the group.
    page.goto("/batches/projects/")
    page.click("a:has-text('Animal photos pilot')")
    page.click("a:has-text('Copy project')")
    page.fill("#id_name", "Animal photos study")
    shots("copy-project")
    page.click("main form button.primary")
    page.wait_for_selector(".message.success >> text=copied to Animal photos study")
    assert page.input_value("#id_template") == TEMPLATE
    assert Decimal(page.input_value("#id_reward")) == REWARD
    page.fill("#id_title", "Which animal is in the photo? (study)")
    page.select_option("#id_req-0-qualification_type", label=f"{group} (own)")
    page.select_option("#id_req-0-comparator", value="DoesNotExist")
    page.select_option("#id_req-0-actions_guarded", value="DiscoverPreviewAndAccept")
    page.locator("table.requirements").scroll_into_view_if_needed()
    shots("next-study-project", whole=False)
    page.click("form.project-form button[type=submit]")
    page.wait_for_selector("h1:has-text('Animal photos study')")
    assert f"who do not have {group}" in page.inner_text("dl.props")
    study = _upload(page, name="Study", filename="study.csv", text=FOLLOW_UP_CSV)
    _launch(page, study)
    shots("next-study-launched")
    study_hit = study.rows.get(index=0).hit.mturk_id
    for worker_id in BONUSES:
        with pytest.raises(EmulatorControlError):
            emulator.accept(worker_id, study_hit)
    emulator.return_assignment(emulator.accept(FRESH_WORKER, study_hit))

    # MTurk's notices of the decisions come back through the queue and move nothing backwards.
    decided = NotificationEvent.objects.filter(
        requester=account,
        event_type__in=["AssignmentApproved", "AssignmentRejected"],
        processed_at__isnull=False,
    )
    _beat_until(lambda: decided.count() == 6, timeout=45, message="the decisions' notices")
    statuses = Assignment.objects.filter(hit__batch_rows__batch=pilot).values_list(
        "status", flat=True
    )
    assert sorted(statuses) == ["Approved"] * 5 + ["Rejected"]

    # The results CSV of the pilot, downloaded as a person would.
    page.goto(f"/batches/{pilot.pk}/")
    with page.expect_download() as download:
        page.click("a:has-text('Results CSV')")
    with open(download.value.path(), newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6
    assert sorted(r["AssignmentStatus"] for r in rows) == ["Approved"] * 5 + ["Rejected"]
    assert {r["Answer.animal"] for r in rows} <= {"cat", "dog", "bird"}
    assert [r["RequesterFeedback"] for r in rows if r["AssignmentStatus"] == "Rejected"] == [
        REJECTION
    ]
    spent = _money(page.inner_text("#progress p:has-text('Spent')"))
    shots("pilot-results")
    bonus_line = page.inner_text("#bonuses .launch-figures")
    bonus_total = _money(bonus_line.rsplit("=", 1)[-1])
    page.locator("#bonuses").scroll_into_view_if_needed()
    shots("pilot-bonuses", whole=False)

    # Every cent the dashboard shows, from the audit page.
    page.goto("/audit/?money_only=on")
    page.wait_for_selector("#events tbody tr")
    audit_rows = page.eval_on_selector_all(
        "#events tbody tr",
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))",
    )
    shots("audit")
    paid = {"assignment.approve": Decimal(0), "bonus.send": Decimal(0)}
    for cells in audit_rows:
        action = cells[3].removesuffix(".undone")
        if action in paid:
            paid[action] += _money(cells[5]) + _money(cells[6])
    # The pilot's approvals were counted when it was launched: their entries carry no amount
    # (they name their reward and fee) and the money-only page shows the launch instead.
    paid["assignment.approve"] += sum(
        (
            paid_at_mturk(event)
            for event in AuditEvent.objects.filter(
                requester=account, action="assignment.approve", amount__isnull=True
            )
        ),
        start=Decimal(0),
    )
    bonuses = sum(
        (amount + fees.bonus_fee(amount) for amount in BONUSES.values()), start=Decimal(0)
    )
    approved = 5 * (REWARD + fees.assignment_fee(REWARD, max_assignments=ASSIGNMENTS_PER_HIT))
    assert spent == approved == paid["assignment.approve"]
    assert paid["bonus.send"] == bonus_total == bonuses
    recorded = {action: Decimal(0) for action in paid}
    for event in AuditEvent.objects.filter(
        requester=account, action__regex=r"^(assignment\.approve|bonus\.send)"
    ):
        recorded[event.action.removesuffix(".undone")] += paid_at_mturk(event)
    assert recorded == paid

    # The local MTurk took exactly that, and the account page says so.
    balance = Decimal(mturk.get_account_balance()["AvailableBalance"])
    assert balance == starting_balance - spent - paid["bonus.send"]
    page.goto(f"/accounts/{account.pk}/")
    page.click("#balance a:has-text('Check now')")
    page.wait_for_selector(f"#balance .figure >> text=${balance:,.2f}")
    page.wait_for_selector("#notification-status dl")
    shots("balance")

    # A worker who rejected work is blocked from their page, which then says so.
    page.goto("/workers/ACROWDAVE0001/")
    page.wait_for_selector("h1:has-text('ACROWDAVE0001')")
    assert page.locator("h1 .badge").count() == 0  # never blocked: no badge, a Block button
    page.fill("input[aria-label='Block reason']", "Chose animals not in the photos.")
    page.click("button.danger:has-text('Block')")
    page.wait_for_selector("h1 .badge:text-is('blocked')")
    assert "Chose animals not in the photos." in page.inner_text("[data-block]")
    assert page.locator("button:has-text('Unblock')").count() == 1
    assert [b["WorkerId"] for b in mturk.list_worker_blocks()["WorkerBlocks"]] == ["ACROWDAVE0001"]
    shots("worker-blocked")
    assert page.console_errors == []
