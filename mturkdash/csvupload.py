"""Reading the small CSV files people upload (review, bonus, worker and qualification score
files): one place for the checks that give a clear error instead of a 500 or a half-read file.

The batch CSV has its own streaming reader (apps/batches/csvinput.py) for files of any size; it
shares `binary_kind` from here.
"""

from __future__ import annotations

import codecs
import csv
import io

from django.core.exceptions import ValidationError

MAX_COLUMNS = 1000

# Files that are not text at all, by their first bytes: named in the error.
SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"%PDF": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx workbook is one)",
    b"\xd0\xcf\x11\xe0": "an Office document (an Excel .xls workbook is one)",
    b"\x1f\x8b": "a gzip archive",
}


def binary_kind(head: bytes) -> str:
    """What a file that is plainly not text is (from its first bytes), or ""."""
    return next((kind for magic, kind in SIGNATURES.items() if head.startswith(magic)), "")


def upload_text(upload, *, max_bytes: int, max_columns: int = MAX_COLUMNS) -> str:
    """The text of an uploaded CSV file, UTF-8 with or without BOM.

    Refused with a ValidationError that says what to do: too large, not text, UTF-16, NUL, empty,
    too many columns, or a row the csv module cannot read (such as a cell past its size
    limit). Everything is checked before the caller reads a single row, so nothing is applied
    from a file that turns out to be broken half-way.
    """
    if upload.size > max_bytes:
        raise ValidationError(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
    raw = upload.read()
    kind = binary_kind(raw[:8])
    if kind:
        raise ValidationError(f"The file is {kind}, not CSV text: save the sheet as CSV UTF-8.")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ValidationError("The file is UTF-16 text: save it as CSV UTF-8.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text: save it as CSV UTF-8.") from None
    if "\x00" in text:
        raise ValidationError(
            "The file holds NUL characters, which no CSV text has: save the sheet as CSV UTF-8."
        )
    if not text.strip():
        raise ValidationError("The file is empty: a header row naming the columns is required.")
    number = 0
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if number == 1 and len(row) > max_columns:
                raise ValidationError(
                    f"The header row has {len(row):,} columns; this file takes at most"
                    f" {max_columns:,}."
                )
    except csv.Error as exc:
        detail = str(exc)
        if "field larger than field limit" in detail:
            detail = f"a cell is longer than {csv.field_size_limit():,} characters"
        raise ValidationError(f"Row {number + 1} cannot be read: {detail}.") from None
    return text
