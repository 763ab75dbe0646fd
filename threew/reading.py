"""Reading a 3W file (CSV or XLSX), streamed, into rows of cells by position.

The registry import's readers (``stakeholders.imports.parsing``) do the file handling: encoding
(UTF-8 or a clear refusal), delimiters, workbooks' size limits, rows numbered as a spreadsheet
shows them. They expect one header row naming every column once; 3W files often have a title
row, blank or repeated human headers and the hashtag row under them, so the readers here keep
every row as a list of cells and leave the headers to ``hxl``.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from stakeholders.imports.parsing import (
    MAX_COLUMNS,
    XLSX_MAGIC,
    CsvTable,
    FileProblem,
    SourceRow,
    XlsxTable,
)

from . import hxl

__all__ = ["FileProblem", "Row", "Sheet", "sheet_open"]


@dataclass(frozen=True, slots=True)
class Row:
    number: int
    cells: list[str]
    problem: str = ""

    def cell(self, index: int | None) -> str:
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index]


class _Cells:
    """Mixin for the parsing module's tables: any first row, rows kept as lists of cells."""

    def _set_headers(self, cells: list[str]) -> None:
        cells = [str(cell).strip() for cell in cells]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            raise FileProblem("The file's first row is empty: it has no header row.")
        if len(cells) > MAX_COLUMNS:
            raise FileProblem(
                f"The file has {len(cells):,} columns; at most {MAX_COLUMNS} are accepted.", row=1
            )
        self.raw_headers = cells
        self.headers = [f"c{index}" for index in range(len(cells))]

    def _row(self, number: int, cells: list[str]):
        if not any(cells):
            return None
        return Row(number, list(cells))


class _Csv(_Cells, CsvTable):
    pass


class _Xlsx(_Cells, XlsxTable):
    pass


class Sheet:
    """An open 3W file: ``headers`` (the human header row), ``columns`` (which field is where)
    and ``rows()``, the data rows below the header or hashtag row.

    The hashtag row is looked for in the first ``hxl.HASHTAG_ROW_SEARCH`` rows; without one, the
    first row holds the headers and ``columns`` come from ``mapping`` and guesses.
    """

    def __init__(self, path: str | Path, *, mapping: dict[str, str] | None = None):
        path = Path(path)
        with open(path, "rb") as probe:
            magic = probe.read(4)
        self._table: _Xlsx | _Csv
        if magic == XLSX_MAGIC:
            self._table = _Xlsx(path)
        elif path.suffix.lower() in (".xlsx", ".xlsm"):
            raise FileProblem(
                "The file is named .xlsx but is not an Excel workbook (not a ZIP archive)."
            )
        else:
            self._table = _Csv(path)
        self.format = self._table.format
        try:
            self._find_columns(mapping)
        except BaseException:
            self._table.close()
            raise

    def _find_columns(self, mapping: dict[str, str] | None) -> None:
        self._stream = self._table.rows()
        first = Row(1, list(self._table.raw_headers))
        self._buffer: list[Row] = []
        tagged: Row | None = first if hxl.is_hashtag_row(first.cells) else None
        previous = first
        header = first
        if tagged is None:
            for row in self._stream:
                if isinstance(row, SourceRow):  # a row the CSV reader could not read
                    self._buffer.append(Row(row.number, [], row.problem))
                    continue
                self._buffer.append(row)
                if hxl.is_hashtag_row(row.cells):
                    tagged, header = row, previous
                    break
                previous = row
                if len(self._buffer) >= hxl.HASHTAG_ROW_SEARCH:
                    break
        if tagged is not None:
            self.headers = header.cells if header is not tagged else []
            self.columns = hxl.columns_from_tags(tagged.cells, row_number=tagged.number)
            self._buffer = []  # rows above the hashtag row are headers and titles
        else:
            self.headers = first.cells
            self.columns = hxl.columns_from_headers(first.cells, mapping=mapping)
        self.tagged = tagged is not None

    def rows(self) -> Iterator[Row]:
        yield from self._buffer
        self._buffer = []
        for row in self._stream:
            if isinstance(row, SourceRow):
                yield Row(row.number, [], row.problem)
            else:
                yield row

    def close(self) -> None:
        self._table.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def sheet_open(path: str | Path, *, mapping: dict[str, str] | None = None) -> Sheet:
    """Open a 3W file; raises ``FileProblem`` with a sentence to act on if it cannot be read."""
    return Sheet(path, mapping=mapping)
