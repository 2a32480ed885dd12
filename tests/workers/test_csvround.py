from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.qualifications.models import QualificationType
from apps.sync.services import requester_sync
from apps.workers.models import WorkerBlock, WorkerUpdate
from tests.helpers import create_hit, work

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
