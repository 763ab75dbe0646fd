"""Every CSV the application writes, through one writer that a spreadsheet cannot be tricked by.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
by Excel, LibreOffice and Google Sheets ("CSV injection"): a stakeholder named
``=HYPERLINK("http://evil.example", "click")`` would become a live link, or worse, in the file an
analyst opens. Text cells that start so are written with a leading apostrophe, which spreadsheets
show as the text itself. Numbers are written as numbers (``-1.5`` stays ``-1.5``).

Exports, the registry import templates and the scores API's CSV all write here, so that a new
export cannot forget the rule: rows are defused by the writer itself, not by each caller.
"""

import csv
from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse

# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheet programs read a file with this byte-order mark as UTF-8.
BOM = "\ufeff"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def safe_cell(value) -> str:
    """A value as CSV text that a spreadsheet will not execute as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: list[str], rows: Iterable[Iterable], *, bom: bool = True) -> Iterator[str]:
    """The CSV text line by line (header first), every cell through ``safe_cell``."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield (BOM if bom else "") + writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def csv_text(header: list[str], rows: Iterable[Iterable], *, bom: bool = True) -> str:
    return "".join(csv_lines(header, rows, bom=bom))


def csv_response(
    *,
    filename: str,
    header: list[str],
    rows: Iterable[Iterable],
    bom: bool = True,
    streaming: bool = True,
) -> HttpResponse | StreamingHttpResponse:
    """A CSV attachment; streamed by default, so that rows are read (and queried) as the client
    downloads them. Small fixed files (templates) are written whole (``streaming=False``)."""
    lines = csv_lines(header, rows, bom=bom)
    response: HttpResponse | StreamingHttpResponse
    if streaming:
        response = StreamingHttpResponse(lines, content_type=CSV_CONTENT_TYPE)
    else:
        response = HttpResponse("".join(lines), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
