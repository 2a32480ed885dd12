"""Reading the small CSV files people upload (review, bonus, worker and qualification score
files): one place for the checks that give a clear error instead of a 500 or a half-read file.

The batch CSV has its own streaming reader (apps/batches/csvinput.py) for files of any size; it
shares `binary_kind` from here.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator

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


NOT_TEXT = "This is not a CSV/text file"
# Bytes no text file holds (C0 controls but tab, line feed, form feed and carriage return).
_CONTROL_BYTES = frozenset(range(32)) - {9, 10, 12, 13}


def binary_kind(head: bytes) -> str:
    """What a file that is plainly not text is (from its first bytes), or ""."""
    kind = next((kind for magic, kind in SIGNATURES.items() if head.startswith(magic)), "")
    if kind:
        return kind
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ""
    sample = head[:4096]
    zeros = sample.count(0)
    if zeros and zeros * 4 >= len(sample):
        return ""  # UTF-16 without a byte order mark: every other byte is zero
    controls = sum(1 for byte in sample if byte in _CONTROL_BYTES)
    if sample and controls * 10 > len(sample):
        return "binary data (a program, an archive or a database, not text)"
    return ""


def not_text_message(kind: str) -> str:
    """The one message for a file that is not text, whatever the upload form."""
    return f"{NOT_TEXT}: it is {kind}. Save the sheet as CSV (UTF-8) and upload that file."


def upload_text(upload, *, max_bytes: int, max_columns: int = MAX_COLUMNS) -> str:
    """The text of an uploaded CSV file, UTF-8 with or without BOM.

    Refused with a ValidationError that says what to do: too large, not text, UTF-16, NUL, empty,
    too many columns, or a row the csv module cannot read (such as a cell past its size
    limit). Everything is checked before the caller reads a single row, so nothing is applied
    from a file that turns out to be broken half-way. Row numbers in messages are those of a
    spreadsheet, where the header is row 1 (see `numbered_rows`).
    """
    if upload.size > max_bytes:
        raise ValidationError(
            f"The file is {upload.size / 1_048_576:.1f} MB; this form takes CSV files of at most"
            f" {max_bytes / 1_048_576:.1f} MB."
        )
    raw = upload.read()
    kind = binary_kind(raw[:4096])
    if kind:
        raise ValidationError(not_text_message(kind))
    head = raw[:4096]
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or (
        head.count(0) * 4 >= len(head) > 0
    ):
        raise ValidationError("The file is UTF-16 text: save it as CSV UTF-8.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            "The file is not UTF-8 text (another encoding, or not a CSV/text file at all): "
            "save it as CSV UTF-8."
        ) from None
    if "\x00" in text:
        raise ValidationError(
            f"{NOT_TEXT}: it holds NUL characters, which no CSV text has. Save the sheet as CSV"
            " UTF-8."
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


def numbered_rows(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """The data rows of a CSV text as (row number, {column: cell}), numbered as a spreadsheet
    numbers them: the header is row 1, and blank rows are skipped but still counted (unlike
    `enumerate(csv.DictReader(...), start=2)`, whose numbers slip after a blank line). Cells
    past the header's columns are dropped; missing ones read as "".
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return
    columns = [name.strip() for name in header]
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        cells = cells[: len(columns)] + [""] * (len(columns) - len(cells))
        yield number, dict(zip(columns, cells, strict=True))
