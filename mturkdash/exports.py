"""Streaming CSV that a spreadsheet opens safely.

A cell starting with =, +, -, @, a tab or a carriage return would run as a formula in Excel,
LibreOffice or Google Sheets; such cells get a leading apostrophe. A plain number (-0.50, -12)
is no formula and stays a number, so that sums of refunds and corrections still add up. Rows
stream through a pseudo-buffer, so memory stays constant however long the export.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The whole cell a negative decimal number, in ASCII digits: nothing for a spreadsheet to run.
_NEGATIVE_NUMBER = re.compile(r"-[0-9]+(?:\.[0-9]+)?", re.ASCII)


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS) and not _NEGATIVE_NUMBER.fullmatch(text):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def csv_response(
    filename: str, header: Iterable[str], rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
