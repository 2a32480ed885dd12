"""A study, as a person runs it in Chromium: made with a list of codes, published for 12
participants (two HITs of 6), launched; the local MTurk's crowd follows the link to the local
MTurk's survey and types back its code; codes are checked, the valid ones approved by
themselves, the others set aside with their reason on the review card; the participants are
kept out of the next study. With SCREENSHOTS=1 (`make screenshots`) the study page and the card
are saved to docs/screenshots/."""

from __future__ import annotations

import pytest

from apps.hits.models import Assignment
from apps.qualifications.models import QualificationScore
from apps.studies.models import CodeCheck, Study, Verdict
from apps.sync.services import requester_sync
from tests.batches.test_project_browser import _sign_in
from tests.fixtures.browser import screenshot
from tests.fixtures.emulator import EmulatorControlError
from tests.helpers import new_worker_id

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODES = [f"HB{n:04d}X" for n in range(1, 41)]


@pytest.fixture
def eager():
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _new_study(page, tmp_path, *, name: str, survey_url: str, exclude: str = "") -> Study:
    page.goto("/studies/")
    page.click("a:has-text('New study')")
    page.fill("#id_name", name)
    page.fill("#id_title", "A 5-minute survey about everyday habits")
    page.fill("#id_description", "Follow the link, answer six questions, paste the code.")
    page.fill("#id_survey_url", survey_url)
    page.fill("#id_minutes", "5")
    page.fill("#id_reward", "1.00")
    page.select_option("#id_code_mode", "list")
    page.fill("#id_codes", "code\n" + "\n".join(CODES) + "\n")
    if exclude:
        page.check(f"label:has-text('{exclude}') input")
    page.click("button:has-text('Save the study')")
    page.wait_for_selector(f"h1:has-text('{name}')")
    return Study.objects.get(project__name=name)


def _publish_and_launch(page, study: Study, participants: int) -> list[str]:
    page.fill("#id_participants", str(participants))
    page.click("button:has-text('Make the batch')")
    page.wait_for_selector("#review button.primary")
    page.click("#review button.primary")  # the launch button
    page.wait_for_selector("h1:has-text('Launch')")
    page.click("#review button.primary")  # the one confirmation
    batch = study.project.batches.order_by("-pk").first()
    page.wait_for_selector("#progress .status-launched, #progress .status-failed", timeout=30_000)
    batch.refresh_from_db()
    assert batch.status == "launched", (batch.status, batch.error, page.inner_text("main")[:2000])
    return list(batch.rows.order_by("index").values_list("hit_mturk_id", flat=True))


def test_a_study_from_the_survey_to_the_next_study(
    page, carol, alice, local_account, emulator, eager, settings, tmp_path
):
    settings.VAR_DIR = tmp_path / "var"
    page.set_viewport_size({"width": 1280, "height": 1000})
    survey = emulator.survey_create("list", codes=CODES, title="Everyday habits")
    _sign_in(page, "carol")
    study = _new_study(page, tmp_path, name="Habits 2026", survey_url=survey["Url"])
    assert page.locator("text=Codes left").count() == 1
    hit_ids = _publish_and_launch(page, study, 12)
    assert len(hit_ids) == 2
    assert "published as 2 HITs of at most 9" in page.inner_text("#guards")

    emulator.crowd_work(HITIds=hit_ids, assignments=8, profile="diligent", seed=3)
    emulator.crowd_work(HITIds=[hit_ids[1]], assignments=2, profile="spammer", seed=4)
    requester_sync(requester=local_account)

    page.goto(f"/studies/{study.pk}/")
    page.click("button:has-text('Approve valid codes by themselves')")
    page.wait_for_selector("text=are approved as they come in")
    checks = list(CodeCheck.objects.select_related("assignment"))
    assert len(checks) == Assignment.objects.count()
    valid = [c for c in checks if c.verdict == Verdict.VALID]
    aside = [c for c in checks if c.verdict != Verdict.VALID]
    assert valid and aside
    assert all(c.assignment.status == "Approved" for c in valid)
    for check in valid:
        check.assignment.refresh_from_db()
        assert check.assignment.status == "Approved"
    participants = page.inner_text("[data-participants]")
    assert participants == str(len({c.assignment.worker_id for c in checks}))
    said = page.inner_text("[data-set-aside]")
    assert said.startswith(f"{len(aside)}: ") and "took part already" in said, said
    screenshot(page, "28-study.png")

    page.goto(f"/review/?batch={study.project.batches.get().pk}")
    # A careless worker's wrong code: its card says so, with the reason and the code given.
    card = page.locator("article[data-assignment]:has([data-code-check=invalid])").first
    card.wait_for()
    said = card.locator("[data-code-check=invalid]").inner_text()
    assert said.startswith("Completion code: Not a code of this study."), said
    assert "Not one of the study's codes." in said and "Given:" in said
    card.scroll_into_view_if_needed()
    screenshot(page, "29-study-review-card.png", locator=card)

    # Everyone who took part joined the study's group: the next study keeps them out.
    workers = set(Assignment.objects.values_list("worker_id", flat=True))
    grouped = set(
        QualificationScore.objects.filter(
            qualification_type=study.exclusion_group, status="Granted"
        ).values_list("worker_id", flat=True)
    )
    assert grouped == workers
    second = _new_study(
        page,
        tmp_path,
        name="Habits follow-up",
        survey_url=survey["Url"],
        exclude="Took part: Habits 2026",
    )
    next_hit = _publish_and_launch(page, second, 3)[0]
    for worker in sorted(workers)[:3]:
        with pytest.raises(EmulatorControlError):
            emulator.accept(worker, next_hit)
    assert emulator.accept(new_worker_id(), next_hit)
