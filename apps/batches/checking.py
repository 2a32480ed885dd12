"""Checking a batch's stored CSV and keeping its rows: inline for small files, as a Celery job
for large ones (a 100,000-row file takes seconds, longer than a web request should)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from apps.batches import csvinput
from apps.batches.models import Batch, BatchRow, BatchStatus

DEFAULT_MAX_ROWS = 100_000
DEFAULT_INLINE_BYTES = 2 * 1024 * 1024


def max_rows() -> int:
    return getattr(settings, "BATCH_CSV_MAX_ROWS", DEFAULT_MAX_ROWS)


def max_columns() -> int:
    return getattr(settings, "BATCH_CSV_MAX_COLUMNS", csvinput.DEFAULT_MAX_COLUMNS)


def inline_bytes() -> int:
    """Files up to this size are checked in the upload's request; larger ones in a job."""
    return getattr(settings, "BATCH_CSV_INLINE_BYTES", DEFAULT_INLINE_BYTES)


def batch_check(batch_id: int) -> Batch | None:
    """Check a `checking` batch's CSV against its project and store its rows, once.

    Idempotent: a repeated run (a redelivered task) starts from no rows again. A CSV with
    errors ends `invalid` with the report and no rows: nothing can be launched from it.
    """
    batch = Batch.objects.select_related("project").filter(pk=batch_id).first()
    if batch is None or batch.status != BatchStatus.CHECKING:
        return batch
    project = batch.project
    with transaction.atomic():
        BatchRow.objects.filter(batch=batch).delete()

        def store(rows: list[csvinput.ParsedRow]) -> None:
            BatchRow.objects.bulk_create(
                [
                    BatchRow(batch=batch, index=r.index, source_row=r.source_row, values=r.values)
                    for r in rows
                ]
            )

        with batch.input_file.open("rb") as stored:
            report = csvinput.read_csv(
                stored.file,
                template=project.template,
                kind=project.question_kind,
                frame_height=project.frame_height,
                max_rows=max_rows(),
                max_columns=max_columns(),
                on_rows=store,
            )
        if not report.ok:
            BatchRow.objects.filter(batch=batch).delete()
        Batch.objects.filter(pk=batch.pk, status=BatchStatus.CHECKING).update(
            encoding=report.encoding,
            delimiter=report.delimiter,
            columns=report.columns,
            row_count=report.row_count if report.ok else 0,
            report=report.as_dict(),
            status=BatchStatus.VALIDATED if report.ok else BatchStatus.INVALID,
        )
    batch.refresh_from_db()
    return batch
