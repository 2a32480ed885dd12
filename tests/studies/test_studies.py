"""Survey-link studies: the survey on the local MTurk, codes checked, valid ones approved by
themselves, the others set aside with their reason, participants kept out of the next study."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from apps.batches import services as batch_services
from apps.batches.models import BatchStatus, ProjectKind
from apps.hits.models import Assignment
from apps.qualifications.models import QualificationScore
from apps.requesters.models import Membership
from apps.studies import services
from apps.studies.codes import code_normalise, codes_parse, hmac_code
from apps.studies.models import CodeCheck, Study, Verdict
from apps.sync.services import requester_sync
from tests.fixtures.emulator import EmulatorControlError
from tests.helpers import new_worker_id

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager():
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _form(**overrides) -> dict:
    data = {
        "name": "Habits study",
        "title": "A 5-minute survey about everyday habits",
        "description": "Follow the link, answer, paste the code.",
        "survey_url": "https://survey.example.org/s/1",
        "worker_param": "workerId",
        "assignment_param": "assignmentId",
        "minutes": "5",
        "reward": "1.00",
        "code_mode": "fixed",
        "fixed_code": "k7q2-mx94",
    }
    data.update(overrides)
    return data


def _launch(batch, user):
    membership = Membership.objects.select_related("requester").get(user=user)
    batch_services.batch_launch(membership=membership, actor=user, batch=batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.LAUNCHED, batch.error
    return list(batch.rows.order_by("index").values_list("hit_mturk_id", flat=True))


def test_it_normalises_codes_and_computes_the_documented_hmac():
    assert code_normalise("  k7q2-mx94 \n") == "K7Q2MX94"
    assert code_normalise("\uff4b\uff17\uff51\uff12\u2013mx94") == "K7Q2MX94"  # full-width, en dash
    assert code_normalise("a\x00b\u200bc") == "ABC"
    assert len(code_normalise("x" * 500)) == 64
    expected = hmac.new(b"s3cret", b"A1B2C3D4E5F6G7", hashlib.sha256).hexdigest()[:10].upper()
    assert hmac_code("s3cret", "A1B2C3D4E5F6G7") == expected
    assert codes_parse("code\nab-1\nAB1\ncd2,extra\n\n") == ["AB1", "CD2"]
    with pytest.raises(ValueError, match="no code"):
        codes_parse("\n \n")


def test_a_study_is_made_with_its_template_group_and_secret_shown_once(
    login, carol, alice, bob, local_account, emulator
):
    from django.contrib.sessions.models import Session

    client = login(carol)
    saved = client.post("/studies/new/", _form(code_mode="hmac", fixed_code=""))
    study = Study.objects.get()
    secret = services.study_secret(study)
    # Between the save and the page that shows it, the session (a database row) holds it
    # encrypted only.
    stored = [s.get_decoded() for s in Session.objects.all()]
    assert stored and all(secret not in repr(data) for data in stored)
    page = client.get(saved["Location"]).content.decode()
    assert len(secret) >= 24 and secret in page
    assert "Shown this once" in page and "Qualtrics" in page
    again = client.get(f"/studies/{study.pk}/").content.decode()
    assert secret not in again
    assert f"<code data-secret-mask>{'•' * 12}{secret[-4:]}</code>" in again
    reviewer = login(bob).get(f"/studies/{study.pk}/").content.decode()
    assert secret not in reviewer and "data-secret-mask" not in reviewer
    client = login(carol)
    assert secret not in study.secret  # kept encrypted

    project = study.project
    assert project.kind == ProjectKind.STUDY
    assert "data-survey-link" in project.template and "data-completion-code" in project.template
    assert 'href="https://survey.example.org/s/1"' in project.template
    assert "${" not in project.template
    from apps.batches.taskspec import task_spec

    box = task_spec(project.template, {}).element("completion_code")
    assert (box.kind, box.header) == ("text", "Completion code")  # its label, not the text above
    group = study.exclusion_group
    assert group.name == "Took part: Habits study" and group.group == "exclude"
    assert project.qualification_requirements == [
        {
            "QualificationTypeId": group.mturk_id,
            "Comparator": "DoesNotExist",
            "ActionsGuarded": "DiscoverPreviewAndAccept",
        }
    ]


def test_a_hostile_survey_address_is_escaped_and_only_http_is_taken(
    login, carol, alice, local_account, emulator
):
    client = login(carol)
    bad = client.post("/studies/new/", _form(survey_url="javascript:alert(1)"))
    assert "Enter a valid URL" in bad.content.decode() or "http" in bad.content.decode()
    assert not Study.objects.exists()
    client.post("/studies/new/", _form(survey_url='https://x.example/"><script>a()</script>'))
    template = Study.objects.get().project.template
    assert "<script>a()" not in template


def test_the_whole_study_codes_checked_valid_approved_others_set_aside_participants_kept_out(
    login, carol, alice, bob, local_account, account_mturk, emulator, eager, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    survey = emulator.survey_create("fixed", code="K7Q2-MX94", title="Habits")
    client = login(carol)
    client.post("/studies/new/", _form(survey_url=survey["Url"]))
    study = Study.objects.get()
    response = client.post(f"/studies/{study.pk}/publish/", {"participants": "12"})
    batch = study.project.batches.get()
    assert response.url == f"/batches/{batch.pk}/"
    assert batch.assignments_per_row == 12
    hit_ids = _launch(batch, carol)
    assert len(hit_ids) == 2  # 12 participants: two HITs of 6

    # Honest workers follow the link to the local MTurk's survey and type its code; a spammer
    # types something else; one worker pastes hostile markup.
    # The crowd works faster than any notification: the same worker takes both sibling HITs
    # before the sibling qualification is granted. The second is set aside as a repeat.
    emulator.crowd_work(HITIds=hit_ids, assignments=8, profile="diligent", seed=1)
    emulator.crowd_work(HITIds=[hit_ids[0]], assignments=1, profile="spammer", seed=9)
    hostile = new_worker_id()
    assignment = emulator.accept(hostile, hit_ids[1])
    emulator.submit(assignment, answers={"completion_code": "<script>alert(1)</script>"})
    requester_sync(requester=local_account)

    services.study_codes_check(study=study)
    all_checks = list(CodeCheck.objects.select_related("assignment").order_by("pk"))
    assert len(all_checks) == Assignment.objects.count() == 10
    repeats = [c for c in all_checks if c.verdict == Verdict.REPEAT]
    firsts = [c for c in all_checks if c.verdict != Verdict.REPEAT]
    assert len({c.assignment.worker_id for c in firsts}) == len(firsts)
    assert {c.assignment.worker_id for c in repeats} <= {c.assignment.worker_id for c in firsts}
    assert all("took part already" in c.reason for c in repeats)
    checks = {c.assignment.worker_id: c for c in firsts}
    assert checks[hostile].verdict == Verdict.INVALID
    valid = [c for c in firsts if c.verdict == Verdict.VALID]
    # Every worker the survey gave its code to typed it back (a fixed code can be passed on, so
    # a valid fixed code proves less: the per-worker and list modes are stricter).
    responses = {r["WorkerId"] for r in emulator.survey(survey["SurveyId"])["Responses"]}
    assert responses and responses <= {c.assignment.worker_id for c in valid}

    # Approving valid codes by themselves: the valid ones are approved at MTurk, no other.
    client.post(f"/studies/{study.pk}/auto-approve/", {"enabled": "1"})
    for check in all_checks:
        status = account_mturk.get_assignment(AssignmentId=check.assignment.mturk_id)["Assignment"][
            "AssignmentStatus"
        ]
        assert status == ("Approved" if check.verdict == Verdict.VALID else "Submitted")

    page = client.get(f"/studies/{study.pk}/").content.decode()
    assert "Set aside for review" in page and "Not the study&#x27;s code." in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    queue = login(bob).get(f"/review/?batch={batch.pk}").content.decode()
    assert 'data-code-check="invalid"' in queue and "<script>alert(1)" not in queue
    client = login(carol)

    # Every participant joined the study's group and cannot take the next study.
    participants = set(Assignment.objects.values_list("worker_id", flat=True))
    grouped = set(
        QualificationScore.objects.filter(
            qualification_type=study.exclusion_group, status="Granted"
        ).values_list("worker_id", flat=True)
    )
    assert grouped == participants
    made = client.post(
        "/studies/new/",
        _form(
            name="Second study",
            survey_url=survey["Url"],
            excluded=[study.exclusion_group.pk],
        ),
    )
    assert made.status_code == 302, made.content.decode()[-3000:]
    second = Study.objects.get(project__name="Second study")
    client.post(f"/studies/{second.pk}/publish/", {"participants": "3"})
    next_hit = _launch(second.project.batches.get(), carol)[0]
    with pytest.raises(EmulatorControlError):
        emulator.accept(hostile, next_hit)
    assert emulator.accept(new_worker_id(), next_hit)


def test_list_and_hmac_codes_know_reuse_and_a_workers_own_resubmission(
    carol, alice, local_account, emulator, eager, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    membership = Membership.objects.select_related("requester").get(user=carol)
    data = {**_form(code_mode="list", fixed_code=""), "minutes": 5, "excluded": []}
    study, _ = services.study_save(
        membership=membership, actor=carol, data=data, codes=["AAA111", "BBB222"]
    )
    batch = services.study_publish(membership=membership, actor=carol, study=study, participants=4)
    hit = _launch(batch, carol)[0]
    given = {}
    for code in ["aaa-111", "AAA111", "ZZZ999", ""]:
        worker = new_worker_id()
        assignment = emulator.accept(worker, hit)
        emulator.submit(assignment, answers={"completion_code": code})
        given[worker] = code
    requester_sync(requester=local_account)
    assert services.study_codes_check(study=study) == 4
    assert services.study_codes_check(study=study) == 0  # judged once
    verdicts = {
        given[c.assignment.worker_id]: (c.verdict, c.reason)
        for c in CodeCheck.objects.select_related("assignment")
    }
    assert verdicts["aaa-111"][0] == Verdict.VALID
    assert verdicts["AAA111"][0] == Verdict.REUSED
    assert re.search(r"used already by worker \w+", verdicts["AAA111"][1])
    assert verdicts["ZZZ999"][0] == Verdict.INVALID
    assert verdicts[""][0] == Verdict.MISSING
    assert study.codes.filter(used_by__isnull=True).count() == 1

    hmac_data = {**_form(name="Per worker", code_mode="hmac", fixed_code=""), "excluded": []}
    hmac_study, secret = services.study_save(membership=membership, actor=carol, data=hmac_data)
    batch = services.study_publish(
        membership=membership, actor=carol, study=hmac_study, participants=2
    )
    hit = _launch(batch, carol)[0]
    first, second = new_worker_id(), new_worker_id()
    for worker, code in [(first, hmac_code(secret, first)), (second, hmac_code(secret, first))]:
        emulator.submit(emulator.accept(worker, hit), answers={"completion_code": code})
    requester_sync(requester=local_account)
    services.study_codes_check(study=hmac_study)
    by_worker = {c.assignment.worker_id: c for c in hmac_study.checks.select_related("assignment")}
    assert by_worker[first].verdict == Verdict.VALID
    assert by_worker[second].verdict == Verdict.REUSED
    assert first in by_worker[second].reason


def test_only_a_manager_of_the_account_makes_publishes_or_turns_on_approval(
    login, carol, bob, victor, charlie, alice, local_account, emulator
):
    membership = Membership.objects.select_related("requester").get(user=carol)
    study, _ = services.study_save(
        membership=membership, actor=carol, data={**_form(), "excluded": []}
    )
    for user in (bob, victor):
        client = login(user)
        assert client.post(f"/studies/{study.pk}/publish/", {"participants": 9}).status_code == 403
        assert (
            client.post(f"/studies/{study.pk}/auto-approve/", {"enabled": "1"}).status_code == 403
        )
        assert client.get(f"/studies/{study.pk}/edit/").status_code == 403
        page = client.get(f"/studies/{study.pk}/").content.decode()
        assert "Make the batch" not in page and "Approve valid codes" not in page
    outsider = login(charlie)
    assert outsider.get(f"/studies/{study.pk}/").status_code == 404
    assert outsider.post(f"/studies/{study.pk}/publish/", {"participants": 9}).status_code == 404
    study.refresh_from_db()
    assert not study.auto_approve and not study.project.batches.exists()


def test_the_survey_link_starter_leads_to_a_new_study_filled_from_it(login, carol, victor):
    from apps.batches import starters

    starter = starters.starter_get("survey-link")
    client = login(carol)
    for url in ("/batches/projects/gallery/", "/batches/projects/gallery/survey-link/"):
        page = client.get(url).content.decode()
        assert 'href="/studies/new/?starter=survey-link"' in page, url
    other = client.get("/batches/projects/gallery/sentiment/").content.decode()
    assert "data-new-study" not in other

    form = client.get("/studies/new/", {"starter": "survey-link"}).content.decode()
    assert f'value="{starter.title}"' in form
    assert f'value="{round(starter.work_seconds / 60)}"' in form
    assert f'value="{starter.reward(starters.DEFAULT_HOURLY_RATE)}"' in form
    assert login(victor).get("/studies/new/", {"starter": "survey-link"}).status_code == 403
