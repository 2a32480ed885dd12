from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.qualifications.models import QualificationType
from apps.sync.services import requester_sync
from apps.workers.models import WorkerBlock, WorkerUpdate
from tests.helpers import create_hit, work
from tests.workers.pages import read

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_worker_csv_round_trip(login, carol, local_account, account_mturk, emulator):
    qtype_id = account_mturk.create_qualification_type(
        Name="Trusted", Description="d", QualificationTypeStatus="Active"
    )["QualificationType"]["QualificationTypeId"]
    hit = create_hit(account_mturk, MaxAssignments=3)
    workers = [work(emulator, hit["HITId"])[1] for _ in range(3)]
    requester_sync(requester=local_account)
    client = login(carol)
    text = b"".join(client.get("/workers/export.csv").streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["WorkerId"] for r in rows} == set(workers)
    assert "CURRENT-Trusted" in rows[0] and "UPDATE-Trusted" in rows[0]
    by_worker = {r["WorkerId"]: r for r in rows}
    by_worker[workers[0]]["UPDATE-Trusted"] = "90"
    by_worker[workers[1]]["UPDATE-BlockStatus"] = "Block"
    by_worker[workers[2]]["UPDATE-Trusted"] = "150"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(by_worker.values())
    response = client.post(
        "/workers/import/",
        {
            "file": SimpleUploadedFile("w.csv", out.getvalue().encode()),
            "block_reason": "Spam answers",
        },
    )
    update = WorkerUpdate.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "1 score to set" in page and "1 block" in page
    assert "is not 0 to 100 or Revoke" in page
    client.post(response["Location"])
    client.post(response["Location"])  # applied once only
    update.refresh_from_db()
    assert update.results["applied"] == 2
    score = account_mturk.get_qualification_score(QualificationTypeId=qtype_id, WorkerId=workers[0])
    assert score["Qualification"]["IntegerValue"] == 90
    assert WorkerBlock.objects.get(requester=local_account).worker_id == workers[1]
    assert QualificationType.objects.filter(requester=local_account).count() == 1


def test_an_unknown_qualification_column_is_named(login, carol, local_account):
    body = b"WorkerId,UPDATE-Nope\nA1234567,5\n"
    page = (
        login(carol)
        .post("/workers/import/", {"file": SimpleUploadedFile("w.csv", body)}, follow=True)
        .content.decode()
    )
    assert "No qualification type named &#x27;Nope&#x27;" in page


def _upload(client, body: bytes, reason: str = "Spam answers"):
    response = client.post(
        "/workers/import/",
        {"file": SimpleUploadedFile("w.csv", body), "block_reason": reason},
    )
    assert response.status_code == 302, response.content.decode()
    return response["Location"]


def test_the_check_page_names_the_workers_each_change_touches(
    login, carol, local_account, account_mturk
):
    account_mturk.create_qualification_type(
        Name="Trusted", Description="d", QualificationTypeStatus="Active"
    )
    requester_sync(requester=local_account)
    blocked = [f"ABLOCK{i:08d}" for i in range(25)]
    lines = ["WorkerId,UPDATE-Trusted,UPDATE-BlockStatus"]
    lines += [f"{w},,Block" for w in blocked]
    lines += ["AUNBLOCK0000001,,Unblock", "ASCORE00000001,90,", "ASCORE00000002,Revoke,"]
    page = read(login(carol).get(_upload(login(carol), "\n".join(lines).encode())))
    text = page.text
    assert "Block: 25 workers\n" + ", ".join(f"{w}" for w in blocked[:20]) + " and 5 more" in text
    assert "Reason given to MTurk: Spam answers" in text
    assert "Unblock: 1 worker\nAUNBLOCK0000001" in text
    assert "Set Trusted: 1 worker\nASCORE00000001 to 90" in text
    assert "Revoke Trusted: 1 worker\nASCORE00000002" in text
    assert blocked[20] not in text
    assert "Apply 28 changes" in page.buttons()


def test_problems_are_numbered_as_spreadsheet_rows(login, carol, local_account):
    body = (
        b"WorkerId,Note,UPDATE-BlockStatus\n"  # row 1
        b"A11111111,ok,Maybe\n"  # row 2
        b"\n"  # row 3, blank
        b"not an id,x,Block\n"  # row 4
        b'A22222222,"two\nlines",Nope\n'  # row 5: one row in a spreadsheet
        b"A33333333,,Unblock\n"  # row 6
    )
    page = read(login(carol).get(_upload(login(carol), body)))
    assert "the header is row 1, the first worker row 2" in page.text
    assert "Row 2: UPDATE-BlockStatus: 'Maybe' is not Block or Unblock." in page.text
    assert "Row 4: 'not an id' is not a worker id" in page.text
    assert "Row 5: UPDATE-BlockStatus: 'Nope' is not Block or Unblock." in page.text
    assert WorkerUpdate.objects.get().changes == [
        {"row": 6, "worker_id": "A33333333", "kind": "unblock"}
    ]


def test_a_viewer_reads_the_check_page_but_cannot_apply_it(login, carol, victor, local_account):
    location = _upload(login(carol), b"WorkerId,UPDATE-BlockStatus\nA44444444,Unblock\n")
    page = read(login(victor).get(location))
    assert "Unblock: 1 worker\nA44444444" in page.text
    assert not any(f.action == "" and f.method == "post" for f in page.forms)
    assert "Apply 1 change" not in page.buttons()
    assert "Not applied yet. Your role lets you look, not apply." in page.text
    assert login(victor).post(location).status_code == 403
    assert WorkerUpdate.objects.get().status == "preview"


def test_another_accounts_update_is_404(login, carol, charlie, local_account):
    location = _upload(login(carol), b"WorkerId,UPDATE-BlockStatus\nA44444444,Unblock\n")
    assert login(charlie).get(location).status_code == 404
    assert login(charlie).post(location).status_code == 404


def test_a_hostile_block_reason_and_cell_are_shown_as_text(login, carol, local_account):
    hostile = "<script>alert(1)</script>"
    body = f"WorkerId,UPDATE-BlockStatus\nA55555555,Block\nA66666666,{hostile}\n".encode()
    html = login(carol).get(_upload(login(carol), body, reason=hostile)).content.decode()
    assert "<script>alert(1)" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2
