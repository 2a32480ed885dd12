"""Hostile uploads on every upload form (batch CSV, review CSV, bonus CSV, worker CSV,
qualification scores CSV): a clear error, memory bounded, nothing half-applied, never a 500."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils.html import escape

from apps.batches.models import Batch
from tests.batches.conftest import make_project

REPO = Path(__file__).resolve().parents[2]
# The smallest PNG there is: a 1x1 transparent pixel.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def _everything() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in django_apps.get_models()
        if model._meta.app_label not in {"sessions", "admin", "axes"}
    }


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


def _hostile_files() -> dict[str, bytes]:
    return {
        "png renamed .csv": PNG,
        "empty": b"",
        "utf-16 without a header we know": "WorkerId,Value\r\nA1,1\r\n".encode("utf-16"),
        "10,000 columns": (",".join(f"c{i}" for i in range(10_000)) + "\n").encode()
        + (",".join("x" for _ in range(10_000)) + "\n").encode(),
        "a 1 MB cell": b"WorkerId,Value,Reason,AssignmentId,Amount,Approve,Reject\n"
        + b"A1,1,"
        + b"y" * 1_000_000
        + b",A,1,x,\n",
        "a 10 MB cell": b"WorkerId,Value\nA1," + b"z" * 10_000_000 + b"\n",
        "NUL bytes": b"WorkerId,Value,Reason,Amount,AssignmentId,Approve,Reject\n"
        + b"A1\x00,1\x00,r\x00,1,A\x00,x\x00,\n",
    }


# (name, URL, extra fields): the upload forms of the product other than the batch's.
def _forms(o) -> list[tuple[str, str, dict]]:
    return [
        ("review import", "/review/import/", {}),
        ("bonus upload", "/review/bonuses/upload/", {}),
        ("worker upload", "/workers/import/", {"block_reason": "r"}),
        ("qualification scores", f"/qualifications/{o['qtype'].pk}/scores/upload/", {}),
    ]


@pytest.mark.django_db
def test_every_upload_form_refuses_hostile_files_clearly(client, targets, alice):
    objects = targets["objects"]
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    client.post("/accounts/switch/", {"requester": objects["account"].pk})
    problems = []
    for form, url, extra in _forms(objects):
        for label, body in _hostile_files().items():
            before = _everything()
            upload = SimpleUploadedFile("hostile.csv", body, content_type="text/csv")
            response = client.post(url, {"file": upload, **extra}, follow=True)
            said = _messages(response)
            if response.status_code != 200:
                problems.append(f"{form}, {label}: {response.status_code}")
            elif 'class="message error' not in response.content.decode() and not said:
                problems.append(f"{form}, {label}: no message")
            # A file that cannot be read changes nothing: no job, no batch of bonuses.
            if _everything() != before:
                problems.append(f"{form}, {label}: stored something")
    assert not problems, "\n".join(problems)


BATCH_FILES = {
    "png renamed .csv": (PNG, "This is not a CSV/text file: it is a PNG image."),
    "10,000 columns": (
        _hostile_files()["10,000 columns"],
        "10,000 columns; a batch takes at most 1,000",
    ),
    "a 1 MB cell": (
        b"image_url,caption\nhttps://example.org/a.png," + b"y" * 1_000_000 + b"\n",
        "Row 2 cannot be read: a cell is longer than",
    ),
    "a 10 MB cell": (
        b"image_url,caption\nhttps://example.org/a.png," + b"y" * 10_000_000 + b"\n",
        "Row 2 cannot be read: a cell is longer than",
    ),
    "NUL bytes": (
        b"image_url,caption\nhttps://example.org/a.png\x00,nul\x00\n",
        "Cells with control characters (such as NUL or escape), which MTurk refuses in a"
        " question: row 2 (image_url, caption)",
    ),
    "header only": (b"image_url,caption\n", "The file has a header but no rows."),
}


@pytest.mark.django_db
@pytest.mark.parametrize("label", list(BATCH_FILES))
def test_the_batch_upload_names_what_is_wrong(client, account, carol, settings, tmp_path, label):
    settings.VAR_DIR = tmp_path
    settings.BATCH_CSV_INLINE_BYTES = 20 * 1024 * 1024  # checked in the request, not a job
    body, message = BATCH_FILES[label]
    project = make_project(account, carol)
    client.force_login(carol, backend="django.contrib.auth.backends.ModelBackend")
    upload = SimpleUploadedFile("hostile.csv", body, content_type="text/csv")
    response = client.post(
        f"/batches/projects/{project.pk}/upload/", {"name": "b", "file": upload}, follow=True
    )
    assert response.status_code == 200
    assert not Batch.objects.filter(project=project).exists()  # a file with errors makes none
    assert escape(message) in response.content.decode()


@pytest.mark.django_db
def test_an_empty_batch_file_is_refused_before_anything_is_stored(
    client, account, carol, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    project = make_project(account, carol)
    client.force_login(carol, backend="django.contrib.auth.backends.ModelBackend")
    upload = SimpleUploadedFile("empty.csv", b"", content_type="text/csv")
    response = client.post(
        f"/batches/projects/{project.pk}/upload/", {"name": "b", "file": upload}, follow=True
    )
    assert "The submitted file is empty." in _messages(response)
    assert not Batch.objects.exists()


@pytest.mark.django_db
def test_a_batch_csv_in_utf16_is_read(client, account, carol, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    project = make_project(account, carol)
    client.force_login(carol, backend="django.contrib.auth.backends.ModelBackend")
    body = "image_url,caption\r\nhttps://example.org/a.png,caf\u00e9 \u202e\r\n".encode("utf-16")
    upload = SimpleUploadedFile("utf16.csv", body, content_type="text/csv")
    client.post(f"/batches/projects/{project.pk}/upload/", {"name": "b", "file": upload})
    batch = Batch.objects.get(project=project)
    assert batch.status == "validated", batch.report
    assert batch.rows.get().values["caption"] == "caf\u00e9 \u202e"


@pytest.mark.django_db
def test_a_batch_csv_over_the_size_limit_is_refused_with_its_size(
    client, account, carol, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    settings.BATCH_CSV_MAX_BYTES = 1024 * 1024
    project = make_project(account, carol)
    client.force_login(carol, backend="django.contrib.auth.backends.ModelBackend")
    body = b"image_url,caption\n" + b"https://example.org/a.png,c\n" * 80_000
    upload = SimpleUploadedFile("big.csv", body, content_type="text/csv")
    response = client.post(
        f"/batches/projects/{project.pk}/upload/", {"name": "b", "file": upload}, follow=True
    )
    assert "at most 1.0 MB" in _messages(response)
    assert not Batch.objects.exists()
    assert not list(Path(tmp_path).rglob("*.csv"))


def _test_database_url() -> str:
    """This test's database (committed data), for a process of its own."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    auth = conf["USER"] + (f":{conf['PASSWORD']}" if conf["PASSWORD"] else "")
    return f"postgres://{auth}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}/{conf['NAME']}"


def _multipart_to_disk(path: Path, boundary: str, *, rows_mb: int) -> None:
    """A multipart body with a name field and a CSV of `rows_mb` MB, written as a stream."""
    line = b"https://example.org/images/0000000.png,a caption of a picture\n"
    block = line * (1024 * 1024 // len(line) + 1)
    with path.open("wb") as out:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nbig\r\n'.encode()
        )
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file";'
            f' filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'.encode()
        )
        out.write(b"image_url,caption\n")
        for _ in range(rows_mb):
            out.write(block[: 1024 * 1024])
        out.write(f"\r\n--{boundary}--\r\n".encode())


@pytest.mark.django_db(transaction=True)
def test_a_200_mb_batch_csv_is_refused_in_bounded_memory(client, account, carol, tmp_path):
    """Refused from its Content-Length, before the body is read (see mturkdash.middleware)."""
    project = make_project(account, carol)
    client.force_login(carol, backend="django.contrib.auth.backends.ModelBackend")
    session_key = client.session.session_key
    body, boundary = tmp_path / "body", "----hostile-upload-boundary"
    _multipart_to_disk(body, boundary, rows_mb=200)
    assert body.stat().st_size > 200 * 1024 * 1024
    var_dir = tmp_path / "var"
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "MTURKDASH_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "mturkdash.settings",
    }
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.security.upload_probe",
                str(body),
                boundary,
                f"/batches/projects/{project.pk}/upload/",
                session_key,
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        body.unlink()  # 200 MB: not left behind in pytest's kept temporary folders
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 413, answer
    assert answer["messages"] == [
        "The upload is 200.0 MB; this site takes uploads of at most 51.0 MB. Nothing was"
        " stored: split the file and upload the parts."
    ]
    assert answer["growth_mb"] < 100, answer
    assert not Batch.objects.exists()
    assert not list(var_dir.rglob("*.csv"))


# Every template with an upload form, and the test above that attacks it.
UPLOAD_TEMPLATES = {
    "templates/review/import.html": "review import",
    "templates/review/bonus_upload.html": "bonus upload",
    "templates/workers/import.html": "worker upload",
    "templates/qualifications/detail.html": "qualification scores",
    "templates/batches/project.html": "batch",
    "templates/batches/_upload_form.html": "batch",
}


def test_every_upload_form_of_the_product_is_attacked_here():
    found = {
        str(path.relative_to(REPO))
        for pattern in ("templates/**/*.html", "apps/*/templates/**/*.html")
        for path in REPO.glob(pattern)
        if not str(path).startswith(str(REPO / "apps/emulator"))
        and ("multipart/form-data" in path.read_text() or 'type="file"' in path.read_text())
    }
    assert found == set(UPLOAD_TEMPLATES), sorted(found ^ set(UPLOAD_TEMPLATES))
    attacked = {name for name, _, _ in _forms({"qtype": type("T", (), {"pk": 1})})} | {"batch"}
    assert set(UPLOAD_TEMPLATES.values()) <= attacked


@pytest.mark.django_db
def test_a_scores_file_broken_half_way_grants_nothing(
    client, local_account, account_mturk, carol, emulator
):
    """Rows are granted one by one, so the whole file is read before the first grant: a row
    the csv module cannot read, late in the file, stops it with nothing granted."""
    from apps.qualifications.models import QualificationScore, QualificationType

    created = account_mturk.create_qualification_type(
        Name="Careful labellers", Description="d", QualificationTypeStatus="Active"
    )["QualificationType"]
    qtype = QualificationType.objects.create(
        requester=local_account, mturk_id=created["QualificationTypeId"], name="Careful labellers"
    )
    client.force_login(carol, backend="django.contrib.auth.backends.ModelBackend")
    good = b"".join(b"A%013d,%d\n" % (n, n) for n in range(1, 6))
    body = b"WorkerId,Value\n" + good + b"A0000000000099," + b"9" * 200_000 + b"\n"
    upload = SimpleUploadedFile("scores.csv", body, content_type="text/csv")
    response = client.post(
        f"/qualifications/{qtype.pk}/scores/upload/", {"file": upload}, follow=True
    )
    assert "Row 7 cannot be read: a cell is longer than" in _messages(response)
    assert not QualificationScore.objects.exists()
    listed = account_mturk.list_workers_with_qualification_type(QualificationTypeId=qtype.mturk_id)[
        "Qualifications"
    ]
    assert listed == []


@pytest.mark.django_db
def test_a_body_past_the_upload_limit_is_refused_unread(client, alice, settings):
    settings.UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    before = _everything()
    for url in ("/review/import/", "/workers/import/", "/batches/projects/1/upload/"):
        response = client.post(
            url, data=b"x", content_type="text/csv", CONTENT_LENGTH=str(3 * 1024**3)
        )
        assert response.status_code == 413, url
        assert "this site takes uploads of at most 10.0 MB" in response.content.decode()
    # Just under the limit goes on to the page's own checks.
    response = client.post("/review/import/", {"file": SimpleUploadedFile("a.csv", b"")})
    assert response.status_code == 200
    assert _everything() == before
