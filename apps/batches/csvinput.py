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
from mturkdash.csvupload import NOT_TEXT, binary_kind, not_text_message
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
    binary = binary_kind(stream.read(4096))
    stream.seek(0)
    if binary:
        return CsvReport(errors=[not_text_message(binary)])
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
                f"{NOT_TEXT}: its first row holds control characters, which no CSV header"
                " has. Save the sheet as CSV (UTF-8) and upload that file."
            )
            return report
        _check_header(report, header, template)
        if report.errors:
            return report
        _read_rows(report, reader, template, kind, frame_height, max_rows, on_rows)
    except UnicodeDecodeError as exc:
        report.errors.append(
            f"{NOT_TEXT}: it is not valid {report.encoding} text ({exc.reason})."
            " Save the sheet as CSV (UTF-8) and upload that file."
        )
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


def column_letter(index: int) -> str:
    """A column as a spreadsheet names it: A for the first, Z, then AA, AB..."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


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
    unnamed = [column_letter(i) for i, name in enumerate(columns) if not name]
    if unnamed:
        report.errors.append(
            f"Columns without a name in the header row (row 1): {', '.join(unnamed)}."
        )
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


@dataclass
class _Problem:
    """One kind of problem in the file: how many rows have it, and the first few named."""

    count: int = 0
    listed: list[str] = field(default_factory=list)

    def add(self, name: Callable[[], str]) -> None:
        self.count += 1
        if len(self.listed) < LISTED:
            self.listed.append(name())

    def text(self) -> str:
        return _listing(self.listed, self.count)


@dataclass
class _Findings:
    """What reading the rows found; rows are handed on only while nothing blocks the batch."""

    empty: dict[str, list[int]]
    duplicates: _Problem = field(default_factory=_Problem)
    too_large: _Problem = field(default_factory=_Problem)
    bad_width: _Problem = field(default_factory=_Problem)
    control: _Problem = field(default_factory=_Problem)
    blank_rows: int = 0

    @property
    def blocking(self) -> bool:
        return bool(self.too_large.count or self.bad_width.count or self.control.count)


def _read_rows(report, reader, template, kind, frame_height, max_rows, on_rows) -> None:
    columns = report.columns
    needed = set(templating.variables(template))
    found = _Findings(empty={name: [] for name in columns if name in needed})
    size_of = templating.SizeCalculator(template, kind=kind, frame_height=frame_height)
    first_seen: dict[int, int] = {}
    chunk: list[ParsedRow] = []
    source_row = 1
    index = 0
    try:
        for cells in reader:
            source_row += 1
            cells = _row_cells(cells, len(columns), source_row, found)
            if cells is None:
                continue
            if index >= max_rows:
                report.errors.append(
                    f"The file has more than {max_rows:,} rows: split it into several batches."
                )
                return
            values = dict(zip(columns, cells, strict=True))
            _row_check(values, cells, source_row, found, first_seen, size_of)
            if on_rows is not None and not found.blocking:
                chunk.append(ParsedRow(index=index, source_row=source_row, values=values))
                if len(chunk) >= CHUNK:
                    on_rows(chunk)
                    chunk = []
            index += 1
    except csv.Error as exc:
        report.errors.append(f"Row {source_row + 1} cannot be read: {_csv_error(exc)}.")
        return
    report.row_count = index
    if chunk and on_rows is not None and not found.blocking:
        on_rows(chunk)
    _findings_report(report, found, width=len(columns), rows=index)


def _row_cells(cells: list[str], width: int, source_row: int, found: _Findings) -> list | None:
    """The row's cells, or None for a row that is skipped (blank) or refused (wrong width)."""
    if not cells or not any(c.strip() for c in cells):
        found.blank_rows += 1
        return None
    if len(cells) > width and not any(c.strip() for c in cells[width:]):
        cells = cells[:width]
    if len(cells) != width:
        found.bad_width.add(lambda: f"row {source_row} ({len(cells)})")
        return None
    return cells


def _row_check(
    values: dict[str, str],
    cells: list[str],
    source_row: int,
    found: _Findings,
    first_seen: dict[int, int],
    size_of: templating.SizeCalculator,
) -> None:
    if CONTROL_CHARACTERS.search("".join(cells)):
        named = [n for n, v in values.items() if CONTROL_CHARACTERS.search(v)]
        found.control.add(lambda: f"row {source_row} ({', '.join(named)})")
    for name, numbers in found.empty.items():
        if not values[name].strip():
            numbers.append(source_row)
    key = hash(tuple(cells))
    if key in first_seen:
        found.duplicates.add(lambda: f"row {source_row} repeats row {first_seen[key]}")
    else:
        first_seen[key] = source_row
    size = size_of.size(values)
    if size > templating.MAX_QUESTION_BYTES:
        found.too_large.add(lambda: f"row {source_row} ({size:,} bytes)")


def _findings_report(report, found: _Findings, *, width: int, rows: int) -> None:
    if found.control.count:
        report.errors.append(
            "Cells with control characters (such as NUL or escape), which MTurk refuses in a"
            " question: " + found.control.text() + "."
        )
    if found.bad_width.count:
        report.errors.append(
            f"Rows whose number of cells differs from the header's {width}: "
            + found.bad_width.text()
            + "."
        )
    if found.too_large.count:
        report.errors.append(
            f"Rows whose question would pass MTurk's {templating.MAX_QUESTION_BYTES:,} bytes: "
            + found.too_large.text()
            + "."
        )
    if rows == 0:
        report.errors.append("The file has a header but no rows.")
    for name, numbers in found.empty.items():
        if numbers:
            report.warnings.append(
                f"Empty cells in column {name}: "
                + _listing([f"row {n}" for n in numbers[:LISTED]], len(numbers))
                + "."
            )
    if found.duplicates.count:
        report.warnings.append("Duplicate rows: " + found.duplicates.text() + ".")
    if found.blank_rows:
        blank = found.blank_rows
        report.notices.append(f"{blank:,} blank row{'s' if blank != 1 else ''} skipped.")
