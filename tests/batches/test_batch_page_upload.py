"""Uploads that fail leave nothing behind, binary files are named as such, and every message
numbers rows as a spreadsheet does (the header is row 1)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.batches.models import Batch, BatchStatus
from mturkdash.csvupload import numbered_rows, upload_text
from tests.batches.conftest import csv_upload, rows_csv

pytestmark = pytest.mark.django_db(transaction=True)

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def _post(client, project, body: bytes | str, name: str = "Pilot", filename: str = "in.csv"):
    return client.post(
        f"/batches/projects/{project.pk}/upload/",
        {"name": name, "file": csv_upload(body, filename)},
    )


def test_a_csv_with_errors_makes_no_batch_and_comes_back_with_the_errors_and_the_name(
    login, carol, project, settings
):
    text = (
        "image_url,caption\n"
        "https://x/1.png,one\n"
        "\n"  # row 3: blank, skipped but counted
        "https://x/2.png,two,three\n"  # row 4: a cell too many
        "https://x/3.png,<script>alert(1)</script>\n"
    )
    response = _post(login(carol), project, text, name="Pilot <i>2</i>")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Rows whose number of cells differs from the header&#x27;s 2: row 4 (3)." in page
    assert "Row numbers are as in a spreadsheet (the header is row 1)" in page
    assert "in.csv has errors: no batch was made. Fix the file and upload it again." in page
    assert 'value="Pilot &lt;i&gt;2&lt;/i&gt;"' in page  # the name kept, escaped
    assert not Batch.objects.exists()
    assert not list(Path(settings.VAR_DIR).rglob("*.csv"))  # nor its file


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (PNG, "This is not a CSV/text file: it is a PNG image."),
        (_xlsx(), "This is not a CSV/text file: it is a ZIP archive (an Excel .xlsx workbook"),
        (bytes(range(256)) * 8, "This is not a CSV/text file: it is binary data"),
        (b"\x01\x02\x03\x04\x05\x06" * 100 + b"\n", "This is not a CSV/text file"),
    ],
    ids=["png", "xlsx", "binary", "control bytes"],
)
def test_a_binary_file_is_named_not_a_csv(login, carol, project, body, said):
    response = _post(login(carol), project, body, filename="sheet.xlsx")
    assert response.status_code == 200
    assert said in response.content.decode()
    assert not Batch.objects.exists()


def test_a_header_without_a_name_names_its_column_by_letter(login, carol, project):
    page = _post(login(carol), project, "image_url,,caption\nx,y,z\n").content.decode()
    assert "Columns without a name in the header row (row 1): B." in page


def test_a_large_file_checked_later_with_errors_is_replaced_from_its_page(
    login, carol, victor, project, settings
):
    from mturkdash.celery import app

    settings.BATCH_CSV_INLINE_BYTES = 10  # every file goes to the checking job
    app.conf.task_always_eager = True
    try:
        client = login(carol)
        _post(client, project, "image_url\nhttps://x/1.png\n", name="Too late")
        bad = Batch.objects.get(name="Too late")
        assert bad.status == BatchStatus.INVALID
        page = client.get(f"/batches/{bad.pk}/").content.decode()
        assert "Columns the template needs are missing: caption" in page
        assert f'<input type="hidden" name="replaces" value="{bad.pk}">' in page
        assert "the new file replaces this batch" in page
        viewer_page = login(victor).get(f"/batches/{bad.pk}/").content.decode()
        assert 'name="replaces"' not in viewer_page and "Upload and check" not in viewer_page

        client = login(carol)
        response = client.post(
            f"/batches/projects/{project.pk}/upload/",
            {"name": "Fixed", "file": csv_upload(rows_csv(2)), "replaces": bad.pk},
        )
    finally:
        app.conf.task_always_eager = False
    fixed = Batch.objects.get(name="Fixed")
    assert response.url == f"/batches/{fixed.pk}/"
    assert fixed.status == BatchStatus.VALIDATED
    assert not Batch.objects.filter(pk=bad.pk).exists()  # no batch with errors left behind


def test_only_a_batch_with_errors_can_be_replaced(login, carol, project):
    client = login(carol)
    _post(client, project, rows_csv(1), name="Good")
    good = Batch.objects.get(name="Good")
    response = client.post(
        f"/batches/projects/{project.pk}/upload/",
        {"name": "Other", "file": csv_upload(rows_csv(1)), "replaces": good.pk},
    )
    assert "Select a valid choice" in response.content.decode()
    assert list(Batch.objects.values_list("name", flat=True)) == ["Good"]


def test_the_upload_page_is_for_managers_and_hidden_from_outsiders(
    login, carol, victor, bob, charlie, project
):
    page = login(carol).get(f"/batches/projects/{project.pk}/upload/").content.decode()
    assert "Upload and check" in page and "<code>image_url</code>, <code>caption</code>" in page
    for user in (victor, bob):
        assert login(user).get(f"/batches/projects/{project.pk}/upload/").status_code == 403
    assert login(charlie).get(f"/batches/projects/{project.pk}/upload/").status_code == 404


def test_the_preview_takes_spreadsheet_row_numbers(login, carol, project):
    text = "image_url,caption\nhttps://x/1.png,first\n\nhttps://x/2.png,second\n"
    client = login(carol)
    _post(client, project, text)
    batch = Batch.objects.get()
    assert list(batch.rows.values_list("source_row", flat=True)) == [2, 4]
    page = client.get(f"/batches/{batch.pk}/", {"row": "4"}).content.decode()
    assert 'title="HIT preview of row 4"' in page and "/rows/1/preview/" in page
    assert 'value="4"' in page
    page = client.get(f"/batches/{batch.pk}/", {"row": "1"}).content.decode()
    assert 'title="HIT preview of row 2"' in page and "/rows/0/preview/" in page
    assert "Row (as in the spreadsheet: the header is row 1)" in page


# --- the shared reader of small uploads (bonus, worker, decision and score CSVs) ------------


def _small(body: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("in.csv", body, content_type="text/csv")


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (PNG, "This is not a CSV/text file: it is a PNG image."),
        (_xlsx(), "This is not a CSV/text file: it is a ZIP archive"),
        (bytes(range(256)) * 8, "This is not a CSV/text file: it is binary data"),
        (b"WorkerId,Value\nA1\x00,1\n", "This is not a CSV/text file: it holds NUL characters"),
        ("WorkerId,Value\nA1,1\n".encode("utf-16-le"), "The file is UTF-16 text"),
    ],
    ids=["png", "xlsx", "binary", "nul", "utf-16 without bom"],
)
def test_small_uploads_name_a_file_that_is_not_text(body, said):
    with pytest.raises(ValidationError) as refused:
        upload_text(_small(body), max_bytes=1024 * 1024)
    assert said in " ".join(refused.value.messages)


def test_small_uploads_number_an_unreadable_row_as_a_spreadsheet_does():
    body = b"WorkerId,Value\nA1,1\n\nA2," + b"y" * 200_000 + b"\n"
    with pytest.raises(ValidationError) as refused:
        upload_text(_small(body), max_bytes=1024 * 1024)
    assert refused.value.messages[0].startswith("Row 4 cannot be read: a cell is longer than")


def test_small_uploads_name_their_size_limit():
    with pytest.raises(ValidationError) as refused:
        upload_text(_small(b"a\n" * 600_000), max_bytes=1024 * 1024)
    assert refused.value.messages == [
        "The file is 1.1 MB; this form takes CSV files of at most 1.0 MB."
    ]


def test_numbered_rows_count_blank_rows_as_a_spreadsheet_does():
    text = 'WorkerId,Value\nA1,1\n\n"A2",2\nA3\n,\n"A4","multi\nline"\nA5,5\n'
    assert list(numbered_rows(text)) == [
        (2, {"WorkerId": "A1", "Value": "1"}),
        (4, {"WorkerId": "A2", "Value": "2"}),
        (5, {"WorkerId": "A3", "Value": ""}),
        (7, {"WorkerId": "A4", "Value": "multi\nline"}),
        (8, {"WorkerId": "A5", "Value": "5"}),
    ]


HOSTILE = {
    "10,000 columns": (
        (",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("x" * 10_000) + "\n").encode(),
        "The header row has 10,000 columns; a batch takes at most 1,000.",
    ),
    "a 1 MB cell on row 3": (
        b"image_url,caption\nhttps://x/0.png,ok\nhttps://x/1.png," + b"y" * 1_000_000 + b"\n",
        "Row 3 cannot be read: a cell is longer than",
    ),
    "NUL in the cells of row 2": (
        b"image_url,caption\nhttps://example.org/a.png\x00,nul\x00\n",
        "Cells with control characters (such as NUL or escape), which MTurk refuses in a"
        " question: row 2 (image_url, caption).",
    ),
    "header only": (b"image_url,caption\n", "The file has a header but no rows."),
}


@pytest.mark.parametrize("label", list(HOSTILE))
def test_a_refused_upload_says_why_by_spreadsheet_row_and_keeps_nothing(
    login, carol, project, settings, label
):
    from django.utils.html import escape

    settings.BATCH_CSV_INLINE_BYTES = 20 * 1024 * 1024  # checked in the request, not a job
    body, message = HOSTILE[label]
    response = _post(login(carol), project, body)
    assert response.status_code == 200
    assert escape(message) in response.content.decode()
    assert not Batch.objects.exists()
    assert not list(Path(settings.VAR_DIR).rglob("*.csv"))
