"""One message to many workers: a batch's or pasted ids, counted, then sent in chunks of 100."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import AuditEvent
from apps.batches import services as batch_services
from apps.requesters.models import Membership
from apps.sync.services import requester_sync
from apps.workers.models import WorkerMessage
from tests.batches.conftest import make_project
from tests.helpers import new_worker_id
from tests.workers.conftest import approve_all
from tests.workers.pages import read

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/workers/message/"


def _notify_calls(emulator, account) -> int:
    return emulator.stats()["customers"].get(account.access_key_id, {}).get("NotifyWorkers", 0)


@pytest.fixture
def batch(local_account, carol, emulator, eager, settings, tmp_path):
    """A launched batch of two HITs, each worked by two workers; returns (batch, worker ids)."""
    settings.VAR_DIR = tmp_path
    project = make_project(local_account, carol, max_assignments=2)
    membership = Membership.objects.get(user=carol, requester=local_account)
    created = batch_services.batch_create(
        membership=membership,
        actor=carol,
        project=project,
        name="Pilot <b>one</b>",
        upload=SimpleUploadedFile(
            "in.csv", b"image_url,caption\nhttps://e.org/1.png,one\nhttps://e.org/2.png,two\n"
        ),
    )
    batch_services.batch_launch(membership=membership, actor=carol, batch=created)
    created.refresh_from_db()
    worker_ids = sorted(new_worker_id() for _ in range(3))
    rows = list(created.rows.order_by("index"))
    plan = [(rows[0], worker_ids[0]), (rows[0], worker_ids[1]), (rows[1], worker_ids[2])]
    for row, worker_id in plan:
        emulator.complete(worker_id, row.hit_mturk_id, {"label": "cat"})
    requester_sync(requester=local_account)
    return created, worker_ids


def test_it_counts_then_sends_250_workers_in_3_calls_and_lists_who_did_not_get_it(
    login, carol, workers, account_mturk, emulator, local_account
):
    approve_all(account_mturk)
    strangers = [new_worker_id() for _ in range(247)]
    pasted = "\n".join(workers[:1]) + "\n" + ", ".join(workers[1:]) + "\n" + " ".join(strangers)
    client = login(carol)
    page = read(client.get(URL))
    assert "Count the workers" in page.buttons()
    data = {"worker_ids": pasted, "subject": "New study", "text": "More HITs tomorrow."}
    page = read(client.post(URL, {**data, "check": "1"}))
    assert "Send to 250 workers" in page.buttons()
    assert _notify_calls(emulator, local_account) == 0  # counting sends nothing

    response = client.post(URL, {**data, "send": "1", "expected": "250"})
    message = WorkerMessage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/workers/messages/{message.pk}/"
    assert _notify_calls(emulator, local_account) == 3
    delivered = {
        w for n in emulator.notifications(local_account.access_key_id) for w in n["WorkerIds"]
    }
    assert delivered == set(workers)

    page = read(client.get(response["Location"]))
    assert "Sent to 3 of 250 workers" in page.text
    assert "247 did not get it." in page.text
    for stranger in strangers[:5]:
        assert f"{stranger}\nCannot send notification to {stranger}" in page.text
    assert not any(f"{w}\nCannot send" in page.text for w in workers)
    event = AuditEvent.objects.get(action="worker.message")
    assert event.details["workers"] == 250 and event.details["sent"] == 3
    assert event.details["failed"] == 247


def test_a_batchs_workers_are_filled_in_and_counted(login, carol, batch, account_mturk, workers):
    created, batch_workers = batch
    page = read(login(carol).get(f"{URL}?batch={created.pk}"))
    assert "The workers who submitted work to batch Pilot <b>one</b>: 3." in page.text
    textarea = login(carol).get(f"{URL}?batch={created.pk}").content.decode()
    for worker_id in batch_workers:
        assert worker_id in textarea
    for worker_id in workers:  # workers of a HIT outside the batch
        assert worker_id not in textarea
    assert "Send to 3 workers" in page.buttons()
    assert "&lt;b&gt;one&lt;/b&gt;" in textarea


def test_a_send_whose_list_changed_after_counting_is_shown_again_not_sent(
    login, carol, workers, emulator, local_account
):
    data = {"worker_ids": "\n".join(workers), "subject": "S", "text": "T", "expected": "2"}
    page = read(login(carol).post(URL, {**data, "send": "1"}))
    assert "The list now holds 3 workers, not the 2 counted: check it, then send." in page.text
    assert "Send to 3 workers" in page.buttons()
    assert _notify_calls(emulator, local_account) == 0
    assert not WorkerMessage.objects.exists()


def test_hostile_worker_ids_are_refused_with_a_clear_message_and_nothing_is_lost(
    login, carol, workers, emulator, local_account
):
    hostile = '<script>alert("x")</script>'
    data = {
        "worker_ids": f"{workers[0]}\n{hostile}\nA1;DROP",
        "subject": "Keep this subject",
        "text": "Keep this text",
        "expected": "3",
        "send": "1",
    }
    response = login(carol).post(URL, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html
    page = read(response)
    assert (
        "2 of the entries are not worker ids (A followed by letters and digits):"
        f" '{hostile}', 'DROP'. Nothing was sent: correct or remove them." in page.text
    )
    assert 'value="Keep this subject"' in html and "Keep this text</textarea>" in html
    assert _notify_calls(emulator, local_account) == 0
    assert not WorkerMessage.objects.exists()


def test_html_in_the_subject_and_text_is_shown_as_text_on_the_result_page(
    login, carol, workers, account_mturk
):
    approve_all(account_mturk)
    hostile = "<img src=x onerror=alert(1)>Results"
    client = login(carol)
    data = {"worker_ids": workers[0], "subject": hostile, "text": hostile, "expected": "1"}
    response = client.post(URL, {**data, "send": "1"}, follow=True)
    html = response.content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;Results" in html
    page = read(response)
    assert f"Message: {hostile}" in page.text
    assert "Sent to 1 of 1 worker" in page.text


@pytest.mark.parametrize("role", ["victor", "bob"])
def test_a_role_below_manager_is_refused(request, login, role, workers, batch, emulator):
    client = login(request.getfixturevalue(role))
    created, _ = batch
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}?batch={created.pk}").status_code == 403
    data = {"worker_ids": workers[0], "subject": "S", "text": "T", "expected": "1", "send": "1"}
    assert client.post(URL, data).status_code == 403
    assert not WorkerMessage.objects.exists()


def test_another_accounts_batch_is_404(login, charlie, batch, emulator):
    created, batch_workers = batch
    client = login(charlie)
    assert client.get(f"{URL}?batch={created.pk}").status_code == 404
    data = {"worker_ids": batch_workers[0], "subject": "S", "text": "T", "expected": "1"}
    assert client.post(URL, {**data, "batch": created.pk, "send": "1"}).status_code == 404
    assert client.get(f"{URL}?batch=not-a-number").status_code == 404
    assert not WorkerMessage.objects.exists()


def test_another_accounts_message_is_404(login, carol, charlie, workers, account_mturk):
    approve_all(account_mturk)
    data = {"worker_ids": workers[0], "subject": "S", "text": "T", "expected": "1", "send": "1"}
    login(carol).post(URL, data)
    message = WorkerMessage.objects.get()
    assert login(charlie).get(f"/workers/messages/{message.pk}/").status_code == 404


def test_the_list_links_here_for_a_manager_only(login, carol, bob, victor, workers):
    page = read(login(carol).get("/workers/"))
    assert ("Message workers", URL) in page.links
    for user in (bob, victor):
        page = read(login(user).get("/workers/"))
        assert "Message workers" not in page.link_texts()


@pytest.mark.parametrize(
    ("subject", "text", "error"),
    [
        ("x" * 201, "T", "Ensure this value has at most 200 characters (it has 201)."),
        ("S", "x" * 4097, "Ensure this value has at most 4096 characters (it has 4097)."),
        ("", "T", "This field is required."),
    ],
)
def test_mturks_limits_on_subject_and_message_are_said_before_sending(
    login, carol, workers, emulator, local_account, subject, text, error
):
    data = {"worker_ids": workers[0], "subject": subject, "text": text, "expected": "1"}
    page = read(login(carol).post(URL, {**data, "send": "1"}))
    assert error in page.text
    assert _notify_calls(emulator, local_account) == 0
