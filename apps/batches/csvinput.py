"""Reading a batch's CSV: encoding and delimiter detection, and the checks made before launch.

The file is read as a stream (constant memory whatever its size): one pass to find the encoding,
one to parse and check the rows, handing them to the caller in chunks. Row numbers are those of
a spreadsheet, where the header is row 1.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from apps.batches import templating
from mturkdash.csvupload import binary_kind
from mturkdash.validators import CONTROL_CHARACTERS

DELIMITERS = ",;\t|"
LISTED = 20  # row numbers listed per problem; the rest are counted
CHUNK = 2000
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
DEFAULT_MAX_COLUMNS = 1000


@dataclass
class CsvReport:
    encoding: str = ""
    delimiter: str = ","
    columns: list[str] = field(default_factory=list)
    row_count: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"errors": self.errors, "warnings": self.warnings, "notices": self.notices}


@dataclass
class ParsedRow:
    index: int
    source_row: int
    values: dict[str, str]


def _listing(items: list[str], total: int) -> str:
    text = ", ".join(items)
    return text + (f" and {total - len(items):,} more" if total > len(items) else "")


def detect_encoding(stream: BinaryIO) -> str:
    """UTF-8 (with or without BOM), UTF-16 (BOM, or its zero bytes), else Windows-1252/Latin-1."""
    stream.seek(0)
    head = stream.read(4096)
    stream.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head and head.count(b"\x00") * 4 >= len(head):
        even_zeros = head[0::2].count(0)
        return "utf-16-be" if even_zeros > head[1::2].count(0) else "utf-16-le"
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    utf8_ok = cp1252_ok = True
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        if utf8_ok:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                utf8_ok = False
        if cp1252_ok:
            try:
                cp1252.decode(chunk)
            except UnicodeDecodeError:
                cp1252_ok = False
        if not utf8_ok and not cp1252_ok:
            break
    stream.seek(0)
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    return "cp1252" if cp1252_ok else "latin-1"


def sniff_delimiter(first_line: str) -> str:
    """The candidate that splits the header most often (outside quotes); comma when none does."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(
    stream: BinaryIO,
    *,
    template: str,
    kind: str,
    frame_height: int,
    max_rows: int,
    max_columns: int = DEFAULT_MAX_COLUMNS,
    on_rows: Callable[[list[ParsedRow]], None] | None = None,
) -> CsvReport:
    """Parse and check a CSV against a question template.

    `on_rows` receives the rows in chunks while no error has been found; the caller must discard
    what it stored when the returned report has errors.
    """
    stream.seek(0)
    binary = binary_kind(stream.read(8))
    stream.seek(0)
    if binary:
        return CsvReport(
            errors=[f"The file is {binary}, not CSV text: save the sheet as CSV (UTF-8)."]
        )
    report = CsvReport(encoding=detect_encoding(stream))
    text = io.TextIOWrapper(stream, encoding=report.encoding, newline="")
    lines = None
    try:
        first_line = text.readline()
        if not first_line:
            report.errors.append("The file is empty: a header row naming the columns is required.")
            return report
        report.delimiter = sniff_delimiter(first_line)
        lines = _chain(first_line, text)
        reader = csv.reader(lines, delimiter=report.delimiter)
        try:
            header = next(reader)
        except StopIteration:
            report.errors.append("The file is empty: a header row naming the columns is required.")
            return report
        except csv.Error as exc:
            report.errors.append(f"The header row cannot be read: {_csv_error(exc)}")
            return report
        if len(header) > max_columns:
            report.errors.append(
                f"The header row has {len(header):,} columns; a batch takes at most"
                f" {max_columns:,}."
            )
            return report
        if CONTROL_CHARACTERS.search("".join(header)):
            report.errors.append(
                "The header row holds control characters: this is not a CSV text file."
                " Save the sheet as CSV (UTF-8)."
            )
            return report
        _check_header(report, header, template)
        if report.errors:
            return report
        _read_rows(report, reader, template, kind, frame_height, max_rows, on_rows)
    except UnicodeDecodeError as exc:
        report.errors.append(f"The file is not valid {report.encoding}: {exc}")
    finally:
        if lines is not None:
            lines.close()
        text.detach()
    return report


def _csv_error(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return (
            f"a cell is longer than {csv.field_size_limit():,} characters"
            f" (a HIT's question holds at most {templating.MAX_QUESTION_BYTES:,} bytes)"
        )
    return str(exc)


def _chain(first_line: str, rest: io.TextIOBase):
    yield first_line
    # Not `yield from`: closing this generator would close the file through it.
    for line in rest:  # noqa: UP028
        yield line


def _check_header(report: CsvReport, header: list[str], template: str) -> None:
    columns = [cell.strip() for cell in header]
    report.columns = columns
    if not any(columns):
        report.errors.append("The first row is empty: a header row naming the columns is required.")
        return
    unnamed = [str(i + 1) for i, name in enumerate(columns) if not name]
    if unnamed:
        report.errors.append(f"Columns without a name in the header row: {', '.join(unnamed)}.")
    seen: set[str] = set()
    repeated = sorted({name for name in columns if name in seen or seen.add(name)})
    if repeated:
        report.errors.append(f"Columns named twice in the header row: {', '.join(repeated)}.")
    needed = templating.variables(template)
    missing = [name for name in needed if name not in columns]
    if missing:
        report.errors.append(
            "Columns the template needs are missing: "
            + ", ".join(missing)
            + f" (the header has: {', '.join(c for c in columns if c) or 'nothing'})."
        )
    extra = [name for name in columns if name and name not in needed]
    if extra:
        report.notices.append(
            "Columns the template does not use (kept for the results file): "
            + ", ".join(extra)
            + "."
        )


def _read_rows(report, reader, template, kind, frame_height, max_rows, on_rows) -> None:
    columns = report.columns
    width = len(columns)
    needed = set(templating.variables(template))
    size_of = templating.SizeCalculator(template, kind=kind, frame_height=frame_height)
    empty: dict[str, list[int]] = {name: [] for name in columns if name in needed}
    first_seen: dict[int, int] = {}
    duplicates: list[str] = []
    duplicate_count = 0
    too_large: list[str] = []
    too_large_count = 0
    bad_width: list[str] = []
    bad_width_count = 0
    control: list[str] = []
    control_count = 0
    blank_rows = 0
    chunk: list[ParsedRow] = []
    source_row = 1
    index = 0
    try:
        for cells in reader:
            source_row += 1
            if not cells or not any(c.strip() for c in cells):
                blank_rows += 1
                continue
            if len(cells) > width and not any(c.strip() for c in cells[width:]):
                cells = cells[:width]
            if len(cells) != width:
                bad_width_count += 1
                if len(bad_width) < LISTED:
                    bad_width.append(f"row {source_row} ({len(cells)})")
                continue
            if index >= max_rows:
                report.errors.append(
                    f"The file has more than {max_rows:,} rows: split it into several batches."
                )
                return
            values = dict(zip(columns, cells, strict=True))
            if CONTROL_CHARACTERS.search("".join(cells)):
                control_count += 1
                if len(control) < LISTED:
                    named = [n for n, v in values.items() if CONTROL_CHARACTERS.search(v)]
                    control.append(f"row {source_row} ({', '.join(named)})")
            for name, numbers in empty.items():
                if not values[name].strip():
                    numbers.append(source_row)
            key = hash(tuple(cells))
            if key in first_seen:
                duplicate_count += 1
                if len(duplicates) < LISTED:
                    duplicates.append(f"row {source_row} repeats row {first_seen[key]}")
            else:
                first_seen[key] = source_row
            size = size_of.size(values)
            if size > templating.MAX_QUESTION_BYTES:
                too_large_count += 1
                if len(too_large) < LISTED:
                    too_large.append(f"row {source_row} ({size:,} bytes)")
            if on_rows is not None and not (too_large_count or bad_width_count or control_count):
                chunk.append(ParsedRow(index=index, source_row=source_row, values=values))
                if len(chunk) >= CHUNK:
                    on_rows(chunk)
                    chunk = []
            index += 1
    except csv.Error as exc:
        report.errors.append(f"Row {source_row + 1} cannot be read: {_csv_error(exc)}.")
        return
    report.row_count = index
    if chunk and on_rows is not None and not (too_large_count or bad_width_count or control_count):
        on_rows(chunk)
    if control_count:
        report.errors.append(
            "Cells with control characters (such as NUL or escape), which MTurk refuses in a"
            " question: " + _listing(control, control_count) + "."
        )
    if bad_width_count:
        report.errors.append(
            f"Rows whose number of cells differs from the header's {width}: "
            + _listing(bad_width, bad_width_count)
            + "."
        )
    if too_large_count:
        report.errors.append(
            f"Rows whose question would pass MTurk's {templating.MAX_QUESTION_BYTES:,} bytes: "
            + _listing(too_large, too_large_count)
            + "."
        )
    if index == 0:
        report.errors.append("The file has a header but no rows.")
    for name, numbers in empty.items():
        if numbers:
            report.warnings.append(
                f"Empty cells in column {name}: "
                + _listing([f"row {n}" for n in numbers[:LISTED]], len(numbers))
                + "."
            )
    if duplicate_count:
        report.warnings.append("Duplicate rows: " + _listing(duplicates, duplicate_count) + ".")
    if blank_rows:
        report.notices.append(f"{blank_rows:,} blank row{'s' if blank_rows != 1 else ''} skipped.")
