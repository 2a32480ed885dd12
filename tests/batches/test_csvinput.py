from __future__ import annotations

import codecs
import io
import time

import pytest

from apps.batches import csvinput
from apps.batches.models import Batch, BatchStatus
from tests.batches.conftest import TEMPLATE, csv_upload, make_batch

pytestmark = pytest.mark.django_db


def _read(data: bytes, template: str = TEMPLATE, max_rows: int = 100_000, on_rows=None):
    return csvinput.read_csv(
        io.BytesIO(data),
        template=template,
        kind="html",
        frame_height=0,
        max_rows=max_rows,
        on_rows=on_rows,
    )


ROWS = "image_url,caption\nhttps://x/1.png,Café crème\nhttps://x/2.png,naïve ☃\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (ROWS.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + ROWS.encode("utf-8"), "utf-8-sig"),
        (ROWS.encode("utf-16"), "utf-16"),
        (ROWS.encode("utf-16-le"), "utf-16-le"),
        (ROWS.replace("☃", "").encode("latin-1"), "cp1252"),
    ],
)
def test_it_detects_the_encoding_and_reads_the_same_values(data, encoding):
    got = []
    report = _read(data, on_rows=got.extend)
    assert report.ok, report.errors
    assert report.encoding == encoding
    assert report.columns == ["image_url", "caption"]
    assert got[0].values == {"image_url": "https://x/1.png", "caption": "Café crème"}
    assert got[1].values["caption"].startswith("naïve")


@pytest.mark.parametrize("delimiter", [";", "\t", "|", ","])
def test_it_sniffs_the_delimiter(delimiter):
    text = ROWS.replace(",", delimiter)
    report = _read(text.encode())
    assert report.ok and report.delimiter == delimiter and report.row_count == 2


def test_quotes_and_newlines_inside_cells_survive_and_rows_are_numbered_as_in_a_sheet():
    text = (
        'image_url,caption\r\n"https://x/1.png","He said ""hi"",\r\nthen left"\r\n'
        "https://x/2.png,\r\n"
    )
    got = []
    report = _read(text.encode(), on_rows=got.extend)
    assert got[0].values["caption"] == 'He said "hi",\r\nthen left'
    assert report.warnings == ["Empty cells in column caption: row 3."]


def test_missing_columns_are_an_error_naming_them_and_extra_ones_a_notice():
    report = _read(b"image_url,notes\nhttps://x/1.png,n\n")
    assert not report.ok
    assert report.errors[0].startswith("Columns the template needs are missing: caption ")
    assert report.notices == [
        "Columns the template does not use (kept for the results file): notes."
    ]


def test_duplicates_empty_cells_and_ragged_rows_are_listed_by_row_number():
    text = "image_url,caption\na,b\nc,\na,b\nd,e,f\n"
    report = _read(text.encode())
    assert "Duplicate rows: row 4 repeats row 2." in report.warnings
    assert "Empty cells in column caption: row 3." in report.warnings
    assert report.errors == ["Rows whose number of cells differs from the header's 2: row 5 (3)."]


def test_rows_whose_question_would_be_too_large_are_errors():
    big = "x" * 66_000
    report = _read(f"image_url,caption\na,b\n{big},c\n".encode())
    assert report.errors == [
        f"Rows whose question would pass MTurk's 65,535 bytes: row 3 "
        f"({csvinput.templating.SizeCalculator(TEMPLATE, kind='html', frame_height=0).size({'image_url': big, 'caption': 'c'}):,} bytes)."
    ]


def test_a_file_without_header_or_rows_is_refused():
    assert _read(b"").errors == ["The file is empty: a header row naming the columns is required."]
    assert _read(b"image_url,caption\n").errors == ["The file has a header but no rows."]


def test_more_rows_than_the_limit_is_an_error():
    report = _read(("image_url,caption\n" + "a,b\n" * 11).encode(), max_rows=10)
    assert report.errors == ["The file has more than 10 rows: split it into several batches."]


def test_100000_rows_are_read_in_seconds_in_chunks():
    data = (
        "image_url,caption\n" + "".join(f"https://x/{i}.png,c{i}\n" for i in range(100_000))
    ).encode()
    chunks = []
    started = time.monotonic()
    report = _read(data, on_rows=lambda rows: chunks.append(len(rows)))
    elapsed = time.monotonic() - started
    assert report.ok and report.row_count == 100_000
    assert max(chunks) == csvinput.CHUNK and sum(chunks) == 100_000
    assert elapsed < 10


def test_an_upload_makes_a_checked_batch_with_its_rows(project, carol, settings):
    batch = make_batch(project, carol, ROWS)
    assert batch.input_file.path.startswith(str(settings.VAR_DIR / "batches" / "inputs"))
    assert batch.status == BatchStatus.VALIDATED and batch.row_count == 2
    assert list(batch.rows.values_list("index", "source_row")) == [(0, 2), (1, 3)]
    with batch.input_file.open("rb") as f:
        assert f.read() == ROWS.encode()


def test_a_csv_with_errors_makes_no_batch(project, carol):
    from apps.batches.services import CsvRefused

    with pytest.raises(CsvRefused) as refused:
        make_batch(project, carol, "image_url\nhttps://x/1.png\n")
    assert "caption" in refused.value.report["errors"][0]
    assert not Batch.objects.filter(project=project).exists()


def test_an_oversized_file_is_refused_with_a_clear_message(project, carol, settings):
    from django.core.exceptions import ValidationError

    from apps.batches import services
    from apps.requesters.models import Membership

    settings.BATCH_CSV_MAX_BYTES = 1024
    membership = Membership.objects.get(user=carol)
    with pytest.raises(ValidationError, match=r"at most 0\.0 MB|at most"):
        services.batch_create(
            membership=membership,
            actor=carol,
            project=project,
            name="too big",
            upload=csv_upload("image_url,caption\n" + "a,b\n" * 600),
        )
    assert not Batch.objects.exists()


def test_a_large_file_is_checked_in_a_job_and_the_page_waits_for_it(
    project, carol, settings, monkeypatch, client, django_capture_on_commit_callbacks
):
    from apps.batches import tasks
    from apps.batches.checking import batch_check

    settings.BATCH_CSV_INLINE_BYTES = 10
    queued = []
    monkeypatch.setattr(tasks.batch_check_task, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        batch = make_batch(project, carol, ROWS)
    assert batch.status == BatchStatus.CHECKING and queued == [batch.pk]
    assert batch.rows.count() == 0
    client.force_login(carol, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert '<meta http-equiv="refresh" content="3">' in page and "Checking input.csv" in page

    batch_check(batch.pk)
    batch_check(batch.pk)  # a redelivered job changes nothing

    batch.refresh_from_db()
    assert batch.status == BatchStatus.VALIDATED and batch.rows.count() == 2
    assert "refresh" not in client.get(f"/batches/{batch.pk}/").content.decode()
