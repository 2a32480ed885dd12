"""The pages: projects, upload, review before launch, launch, progress, previews, downloads."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from apps.audit.models import AuditEvent
from apps.batches.actions import batch_action_run
from apps.batches.models import Batch, BatchAction, BatchStatus, Project
from apps.hits.models import HIT
from apps.mturk.constants import QUAL_LOCALE, QUAL_PERCENT_APPROVED
from apps.sync.services import requester_sync
from tests.batches.conftest import csv_upload, make_batch, make_project, rows_csv
from tests.helpers import new_worker_id

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def eager():
    from mturkdash.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def launch(client, batch):
    """Launch as a person does: the confirmation page, then its button with the total shown."""
    page = client.get(f"/batches/{batch.pk}/launch/").content.decode()
    total = re.search(r'name="confirm_total" value="([0-9.]+)"', page).group(1)
    return client.post(f"/batches/{batch.pk}/launch/", {"confirm_total": total})


PROJECT_POST = {
    "name": "Sentiment",
    "question_kind": "html",
    "template": "<p>${text}</p><crowd-form><input name='label'></crowd-form>",
    "frame_height": "0",
    "title": "Rate a sentence",
    "description": "Positive or negative?",
    "keywords": "text",
    "reward": "0.10",
    "max_assignments": "3",
    "lifetime": "86400",
    "assignment_duration": "600",
    "auto_approval_delay": "86400",
    "annotation": "",
    "req-TOTAL_FORMS": "3",
    "req-INITIAL_FORMS": "0",
    "req-MIN_NUM_FORMS": "0",
    "req-MAX_NUM_FORMS": "10",
    "req-0-qualification_type": QUAL_PERCENT_APPROVED,
    "req-0-comparator": "GreaterThanOrEqualTo",
    "req-0-values": "95",
    "req-0-actions_guarded": "Accept",
    "req-1-qualification_type": QUAL_LOCALE,
    "req-1-comparator": "NotIn",
    "req-1-values": "US-NY, gb",
    "req-1-actions_guarded": "",
    "req-2-qualification_type": "",
}


def test_a_manager_creates_a_project_with_requirements_in_mturks_shape(login, carol, account):
    response = login(carol).post("/batches/projects/new/", PROJECT_POST)
    assert response.status_code == 302, response.content.decode()[:3000]
    project = Project.objects.get(name="Sentiment")
    assert project.requester == account
    assert project.qualification_requirements == [
        {
            "QualificationTypeId": QUAL_PERCENT_APPROVED,
            "Comparator": "GreaterThanOrEqualTo",
            "IntegerValues": [95],
            "ActionsGuarded": "Accept",
        },
        {
            "QualificationTypeId": QUAL_LOCALE,
            "Comparator": "NotIn",
            "LocaleValues": [{"Country": "US", "Subdivision": "NY"}, {"Country": "GB"}],
        },
    ]
    edit = login(carol).get(f"/batches/projects/{project.pk}/edit/").content.decode()
    assert 'value="US-NY, GB"' in edit


def test_the_project_form_refuses_a_template_without_input_and_bad_requirements(login, carol):
    post = dict(PROJECT_POST, template="<p>${text}</p>", **{"req-1-values": "New York"})
    page = login(carol).post("/batches/projects/new/", post).content.decode()
    assert "no form input" in page
    assert "is not a locale like US or US-NY" in page
    assert not Project.objects.exists()


def test_the_live_check_lists_variables_and_warns_about_raw(login, carol):
    page = (
        login(carol)
        .post(
            "/batches/projects/check/",
            {"template": "<input name=a>${one} ${two|raw}", "question_kind": "html"},
            HTTP_HX_REQUEST="true",
        )
        .content.decode()
    )
    assert page.lstrip().startswith('<div id="check"')
    assert "<code>one</code>, <code>two</code>" in page
    assert "Inserted without escaping: two" in page


def test_roles_viewers_cannot_create_outsiders_cannot_see(login, victor, charlie, project):
    assert login(victor).get("/batches/projects/new/").status_code == 403
    assert login(victor).get(f"/batches/projects/{project.pk}/").status_code == 200
    assert login(charlie).get(f"/batches/projects/{project.pk}/").status_code == 404


def test_upload_makes_a_batch_and_an_invalid_csv_makes_none(login, carol, project):
    client = login(carol)
    response = client.post(
        f"/batches/projects/{project.pk}/upload/",
        {"name": "Bad", "file": csv_upload("image_url,notes\nx,y\nx,y\n", "bad.csv")},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Columns the template needs are missing: caption" in page
    assert "bad.csv has errors: no batch was made" in page
    assert 'value="Bad"' in page  # the name is kept for the next try
    assert not Batch.objects.exists()
    response = client.post(
        f"/batches/projects/{project.pk}/upload/",
        {"name": "Good", "file": csv_upload(rows_csv(1))},
    )
    batch = Batch.objects.get(name="Good")
    assert response.url == f"/batches/{batch.pk}/"


def test_the_review_shows_the_cost_table_balance_and_the_ten_assignment_rule(
    login, carol, local_account, emulator
):
    project = make_project(
        local_account, carol, reward="0.50", max_assignments=10, split_assignments=False
    )
    batch = make_batch(project, carol, rows_csv(100))
    page = login(carol).get(f"/batches/{batch.pk}/").content.decode()
    assert "100 HITs \u00d7 10 = 1,000" in page
    assert "$500.00" in page and "$200.00" in page and "$700.00" in page
    assert "MTurk fee (40%)" in page
    assert "$10,000.00" in page
    assert "fee doubles, from 20% to 40%" in page
    assert "With 9 assignments per HIT this batch would cost $540.00" in page
    assert "Launch 100 HITs for $700.00" in page
    assert "confirm_name" not in page


def test_production_asks_for_the_account_name_and_refuses_without_it(
    login, carol, local_account, emulator
):
    local_account.environment = "production"
    local_account.save()
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(1))
    client = login(carol)
    # asked once, on the confirmation, not on the batch page as well
    assert 'name="confirm_name"' not in client.get(f"/batches/{batch.pk}/").content.decode()
    assert 'name="confirm_name"' in client.get(f"/batches/{batch.pk}/launch/").content.decode()
    response = client.post(
        f"/batches/{batch.pk}/launch/",
        {"confirm_name": "wrong", "confirm_total": "0.60"},
        follow=True,
    )
    assert "type its name" in response.content.decode()
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.VALIDATED


def test_launch_from_the_page_then_progress_counters_and_the_hits_filter(
    login, carol, local_account, account_mturk, emulator, eager
):
    batch = make_batch(make_project(local_account, carol, max_assignments=2), carol, rows_csv(3))
    other = make_batch(make_project(local_account, carol, name="Other"), carol, rows_csv(1), "B2")
    client = login(carol)
    launch(client, batch)
    launch(client, other)
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.LAUNCHED
    hit_id = batch.rows.get(index=0).hit_mturk_id
    emulator.complete(new_worker_id(), hit_id, {"label": "cat"})
    requester_sync(requester=local_account)

    fragment = client.get(f"/batches/{batch.pk}/progress/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="progress"')
    assert 'hx-trigger="every 5s"' in fragment  # launched, HITs still open: it keeps polling
    assert "<strong>3</strong> created" in fragment and "<strong>0</strong> remaining" in fragment
    assert '<td class="num">6</td><td class="num">1</td>' in fragment  # target, submitted
    listing = client.get("/hits/", {"batch": batch.pk}, HTTP_HX_REQUEST="true").content.decode()
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert '<svg class="chart"' in page and "UTC: 1</title></rect>" in page
    assert "Spent $0.00 of the $3.60 estimate" in page
    assert "$0.60 once the submitted ones are approved" in page
    links = {word for word in listing.split() if word.startswith('href="/hits/')}
    assert links == {
        f'href="/hits/{r.hit_id}/"><code>{r.hit_mturk_id}</code></a></td>' for r in batch.rows.all()
    }


def test_the_progress_polls_while_launching(login, carol, project):
    batch = make_batch(project, carol, rows_csv(2))
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.LAUNCHING)
    fragment = login(carol).get(f"/batches/{batch.pk}/progress/", HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert 'hx-trigger="every 2s"' in text
    assert "<strong>2</strong> remaining of 2" in text and "about" in text


def test_the_row_preview_is_escaped_sandboxed_and_framable_only_by_us(login, carol, project):
    batch = make_batch(
        project, carol, "image_url,caption\nhttps://x/1.png,<script>alert(1)</script>\n"
    )
    client = login(carol)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert f'sandbox="allow-forms" src="/batches/{batch.pk}/rows/0/preview/"' in page
    frame = client.get(f"/batches/{batch.pk}/rows/0/preview/")
    body = frame.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert" not in body
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    policy = frame["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "form-action 'none'" in policy
    assert "style-src 'unsafe-inline'" in policy
    # the dashboard's own pages keep the strict policy
    assert "'unsafe-inline'" not in client.get(f"/batches/{batch.pk}/")["Content-Security-Policy"]


def test_a_crowd_form_preview_may_run_only_the_crowd_script(login, carol, account):
    project = make_project(
        account,
        carol,
        template="<script src='https://assets.crowd.aws/crowd-html-elements.js'></script>"
        "<crowd-form>${image_url} ${caption}</crowd-form>",
    )
    page = login(carol).get(f"/batches/projects/{project.pk}/").content.decode()
    assert 'sandbox="allow-forms allow-scripts"' in page and "allow-same-origin" not in page
    frame = login(carol).get(f"/batches/projects/{project.pk}/preview/")
    # a local account's preview runs the local MTurk's copy (tests/batches/test_project_preview.py)
    directives = dict(
        part.strip().split(" ", 1) for part in frame["Content-Security-Policy"].split(";")
    )
    assert directives["script-src"] == "http://127.0.0.1:9"
    assert "[caption]" in frame.content.decode()


def test_the_input_csv_comes_back_as_uploaded(login, victor, carol, project):
    data = "\ufeffimage_url;caption\r\nhttps://x/1.png;é\r\n".encode("utf-8")
    batch = make_batch(project, carol, data)
    response = login(victor).get(f"/batches/{batch.pk}/input.csv")
    assert b"".join(response.streaming_content) == data


def _results(client, batch) -> list[list[str]]:
    response = client.get(f"/batches/{batch.pk}/results.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_results_csv_in_mturks_format_with_inputs_answers_and_formulas_neutralised(
    login, carol, local_account, emulator, eager
):
    text = 'image_url,caption\nhttps://x/1.png,=HYPERLINK("evil")\nhttps://x/2.png,fine\n'
    batch = make_batch(make_project(local_account, carol, max_assignments=2), carol, text)
    client = login(carol)
    launch(client, batch)
    worker = new_worker_id()
    hit0 = batch.rows.get(index=0).hit_mturk_id
    a1 = emulator.complete(worker, hit0, {"label": "+cmd|' /C calc'!A0", "notes": "@SUM(1)"})
    emulator.complete(new_worker_id(), batch.rows.get(index=1).hit_mturk_id, {"label": "dog"})
    requester_sync(requester=local_account)

    rows = _results(client, batch)
    header = rows[0]
    assert header == [
        "HITId", "HITTypeId", "Title", "Description", "Keywords", "Reward", "CreationTime",
        "MaxAssignments", "RequesterAnnotation", "AssignmentDurationInSeconds",
        "AutoApprovalDelayInSeconds", "Expiration", "NumberOfSimilarHITs", "LifetimeInSeconds",
        "AssignmentId", "WorkerId", "AssignmentStatus", "AcceptTime", "SubmitTime",
        "AutoApprovalTime", "ApprovalTime", "RejectionTime", "RequesterFeedback",
        "WorkTimeInSeconds", "LifetimeApprovalRate", "Last30DaysApprovalRate",
        "Last7DaysApprovalRate", "Input.image_url", "Input.caption", "Answer.label",
        "Answer.notes", "Approve", "Reject",
    ]  # fmt: skip
    assert len(rows) == 3
    first = dict(zip(header, rows[1], strict=True))
    assert first["HITId"] == hit0 and first["AssignmentId"] == a1 and first["WorkerId"] == worker
    assert first["HITTypeId"] == Batch.objects.get(pk=batch.pk).hit_type_mturk_id
    assert first["Reward"] == "$0.50" and first["MaxAssignments"] == "2"
    assert first["AssignmentStatus"] == "Submitted"
    assert first["LifetimeInSeconds"] == "3600" and first["AssignmentDurationInSeconds"] == "600"
    assert first["RequesterAnnotation"].endswith("pilot")
    assert re.fullmatch(r"\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}", first["SubmitTime"])
    assert first["Input.caption"] == '\'=HYPERLINK("evil")'
    assert first["Answer.label"] == "'+cmd|' /C calc'!A0"
    assert first["Answer.notes"] == "'@SUM(1)"
    assert first["LifetimeApprovalRate"] == "0% (0/0)"
    assert (first["Approve"], first["Reject"]) == ("", "")

    lines = b"".join(client.get(f"/batches/{batch.pk}/results.jsonl").streaming_content)
    records = [json.loads(line) for line in lines.decode().splitlines()]
    assert len(records) == 2
    assert records[0]["Input"] == {"image_url": "https://x/1.png", "caption": '=HYPERLINK("evil")'}
    assert records[0]["Answer"]["label"] == "+cmd|' /C calc'!A0"


def test_adding_assignments_across_ten_is_refused_with_the_reason(
    login, carol, local_account, emulator, eager
):
    batch = make_batch(make_project(local_account, carol, max_assignments=3), carol, rows_csv(2))
    client = login(carol)
    launch(client, batch)
    page = client.post(
        f"/batches/{batch.pk}/actions/",
        {"kind": "add_assignments", "assignments": "7"},
        follow=True,
    ).content.decode()
    assert "2 of these HITs have fewer than 10 assignments and would reach 10 or more" in page
    assert "the fee goes from 20% to 40%" in page
    assert not batch.actions.exists()

    hit = batch.rows.get(index=0).hit
    client.post(
        f"/batches/{batch.pk}/actions/",
        {"kind": "add_assignments", "assignments": "6", "hits": [hit.pk]},
    )
    hit.refresh_from_db()
    assert hit.max_assignments == 9
    action = batch.actions.get()
    assert (action.done, action.failed, action.status) == (1, 0, "done")
    event = AuditEvent.objects.get(action="batch.add_assignments")
    assert event.amount == 3 and str(event.fee) == "0.60"


def test_expire_and_extend_all_hits_as_jobs_with_audit(
    login, carol, local_account, account_mturk, emulator, eager
):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(3))
    client = login(carol)
    launch(client, batch)
    client.post(f"/batches/{batch.pk}/actions/", {"kind": "extend", "seconds": "7200"})
    extended = {}
    for row in batch.rows.all():
        remote = account_mturk.get_hit(HITId=row.hit_mturk_id)["HIT"]
        assert (remote["Expiration"] - remote["CreationTime"]).total_seconds() > 7000
        extended[row.hit_mturk_id] = remote["Expiration"]
    # The job run again from the start (a redelivery) extends nothing further.
    job = batch.actions.get(kind="extend")
    BatchAction.objects.filter(pk=job.pk).update(status="running", handled=[], done=0)
    batch_action_run(job.pk)
    for hit_id, expiration in extended.items():
        assert account_mturk.get_hit(HITId=hit_id)["HIT"]["Expiration"] == expiration
    client.post(f"/batches/{batch.pk}/actions/", {"kind": "expire"})
    now = emulator.now()
    for row in batch.rows.all():
        assert account_mturk.get_hit(HITId=row.hit_mturk_id)["HIT"]["Expiration"] <= now
        row.hit.refresh_from_db()
        assert row.hit.expiration <= now
    assert AuditEvent.objects.filter(action__in=["batch.extend", "batch.expire"]).count() == 2
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "3 done, 0 refused of 3" in page


def test_delete_acts_only_on_finished_hits(
    login, carol, local_account, account_mturk, emulator, eager
):
    batch = make_batch(make_project(local_account, carol), carol, rows_csv(2))
    client = login(carol)
    launch(client, batch)
    done = batch.rows.get(index=0)
    assignment = emulator.complete(new_worker_id(), done.hit_mturk_id, {"label": "x"})
    account_mturk.approve_assignment(AssignmentId=assignment)
    requester_sync(requester=local_account)

    client.post(f"/batches/{batch.pk}/actions/", {"kind": "delete"})

    action = batch.actions.get()
    assert action.total == 1
    remaining = {h["HITId"] for h in account_mturk.list_hits()["HITs"]}
    assert done.hit_mturk_id not in remaining
    assert batch.rows.get(index=1).hit_mturk_id in remaining
    assert HIT.objects.get(mturk_id=done.hit_mturk_id).gone_at is not None


def test_a_reviewer_cannot_act_on_hits(login, bob, carol, project):
    batch = make_batch(project, carol, rows_csv(1))
    assert login(bob).post(f"/batches/{batch.pk}/actions/", {"kind": "expire"}).status_code == 403
    assert login(bob).post(f"/batches/{batch.pk}/launch/").status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/batches/{b}/launch/",
        "/batches/{b}/retry/",
        "/batches/{b}/cancel/",
        "/batches/{b}/resume/",
        "/batches/{b}/actions/",
        "/batches/projects/{p}/upload/",
        "/batches/projects/{p}/edit/",
    ],
)
def test_every_change_is_refused_below_manager_and_hidden_from_outsiders(
    client, login, path, project, carol, victor, bob, charlie, settings
):
    settings.MTURK_MAX_ATTEMPTS = 0
    batch = make_batch(project, carol, rows_csv(1))
    url = path.format(b=batch.pk, p=project.pk)
    assert client.post(url).status_code == 302  # anonymous: to the sign-in page
    assert "/login/" in client.post(url).url
    assert login(charlie).post(url).status_code == 404
    for user in (victor, bob):
        assert login(user).post(url).status_code == 403
    assert login(carol).post(url).status_code in (200, 302)
    # MTurk is unreachable here: the launch ends in a message, nothing changes.
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.VALIDATED


@pytest.mark.parametrize(
    "path",
    [
        "/batches/{b}/",
        "/batches/{b}/progress/",
        "/batches/{b}/rows/0/preview/",
        "/batches/{b}/results.csv",
        "/batches/{b}/results.jsonl",
        "/batches/{b}/input.csv",
        "/batches/projects/{p}/",
        "/batches/projects/{p}/preview/",
    ],
)
def test_viewers_read_and_outsiders_get_404(login, path, project, carol, victor, charlie):
    batch = make_batch(project, carol, rows_csv(1))
    url = path.format(b=batch.pk, p=project.pk)
    assert login(victor).get(url).status_code in (200, 302)
    assert login(charlie).get(url).status_code == 404


def test_a_forged_hit_selection_is_ignored_not_a_crash(login, carol, project):
    batch = make_batch(project, carol, rows_csv(1))
    client = login(carol)
    response = client.post(
        f"/batches/{batch.pk}/actions/", {"kind": "expire", "hits": ["abc"]}, follow=True
    )
    assert "is not one of the available choices" in response.content.decode()
    response = client.post(
        f"/batches/{batch.pk}/actions/", {"kind": "expire", "hits": ["999999"]}, follow=True
    )
    assert "No HIT to act on." in response.content.decode()
    assert not batch.actions.exists()
