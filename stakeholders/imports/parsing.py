"""Reading an uploaded table (CSV or XLSX) into rows of text, numbered as a spreadsheet shows them.

Pure Python: no Django models here. A problem with the file as a whole (wrong encoding, not a
workbook, cut short, no header) raises ``FileProblem`` with a sentence a person can act on; a
problem with one row (a quote never closed, too few cells) comes back on that row, so that the dry
run can report every bad row, not just the first.

Row numbers: the header is row 1 and the first data row is row 2, as in a spreadsheet, so that
"row 17" is the row a person finds when they open the file.
"""

import codecs
import csv
import datetime
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

XLSX_MAGIC = b"PK\x03\x04"

# Limits checked before a file is parsed (and while it streams), so that a small file cannot
# declare or unpack into work the size of a data centre. Every refusal names its limit.
MAX_ROWS = 200_000  # data rows, the header not counted
MAX_COLUMNS = 100  # the widest import has a few dozen columns
MAX_CELLS = 5_000_000  # rows x columns a sheet may declare
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a workbook's parts, unpacked, all together
MAX_PART_BYTES = 20 * 1024 * 1024  # any one part but the sheets and the shared strings
MAX_PARTS = 1000
DELIMITERS = (",", ";", "\t")
SAVE_AS_UTF8 = (
    "Save the file as 'CSV UTF-8 (comma delimited)' (Excel) or choose the UTF-8 character set "
    "(LibreOffice) and upload it again."
)


class FileProblem(Exception):
    """The file as a whole cannot be read. The message says why and what to do about it."""

    def __init__(self, message: str, *, row: int | None = None):
        super().__init__(message)
        self.message = message
        self.row = row


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row: its spreadsheet row number and its cells as stripped text by column name."""

    number: int
    values: dict[str, str]
    problem: str = ""


def normalise_header(text: str) -> str:
    """'Country of origin ' -> 'country_of_origin': headers are matched case- and space-blind."""
    text = str(text).replace("\ufeff", "").strip().lower()
    for separator in (" ", "-", "."):
        text = text.replace(separator, "_")
    while "__" in text:
        text = text.replace("__", "_")
    return text.strip("_")


def cell_text(value) -> str:
    """A spreadsheet cell as the text a person typed: 12.0 -> '12', a date -> '2024-03-01'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


class Table:
    """An open table: ``headers`` (normalised), ``total_rows`` if known, and ``rows()``."""

    format = ""

    def __init__(self):
        self.headers: list[str] = []
        self.raw_headers: list[str] = []
        self.total_rows: int | None = None
        self.delimiter = ""

    def rows(self) -> Iterator[SourceRow]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _set_headers(self, cells: list[str]) -> None:
        """Check and keep the header row; trailing unnamed columns are ignored."""
        cells = list(cells)
        while cells and not str(cells[-1]).strip():
            cells.pop()
        if not cells:
            raise FileProblem("The file has no header row: the first row must name the columns.")
        if len(cells) > MAX_COLUMNS:
            raise FileProblem(_too_many_columns(len(cells)), row=1)
        names = [normalise_header(cell) for cell in cells]
        seen: dict[str, int] = {}
        for position, name in enumerate(names, start=1):
            if not name:
                raise FileProblem(
                    f"Column {position} of the header row has no name: every column needs one.",
                    row=1,
                )
            if name in seen:
                raise FileProblem(
                    f"The header row names the column '{name}' twice "
                    f"(columns {seen[name]} and {position}).",
                    row=1,
                )
            seen[name] = position
        self.raw_headers = [str(cell).strip() for cell in cells]
        self.headers = names

    def _row(self, number: int, cells: list[str]) -> SourceRow | None:
        """Pair cells with headers; None for a blank row; a problem if the cell count is off."""
        if not any(cells):
            return None
        width = len(self.headers)
        if len(cells) > width and any(cells[width:]):
            return SourceRow(
                number,
                {},
                problem=(
                    f"has {len(cells)} cells but the header has {width} columns: a value stands "
                    f"in column {width + 1}, which has no name."
                ),
            )
        if len(cells) < width:
            return SourceRow(
                number,
                {},
                problem=(
                    f"has {len(cells)} cells but the header has {width} columns: the row is cut "
                    "short (is the file truncated, or is a delimiter missing?)."
                ),
            )
        return SourceRow(number, dict(zip(self.headers, cells[:width], strict=True)))


def _encoding_problem(raw: bytes, line_number: int, error: UnicodeDecodeError) -> FileProblem:
    bad = raw[error.start : error.start + 1]
    try:
        guess = raw.decode("cp1252").strip()
        snippet = guess[max(0, error.start - 30) : error.start + 30]
        hint = f" It looks like Latin-1 / Windows-1252 text ('…{snippet}…')."
    except UnicodeDecodeError:
        hint = ""
    return FileProblem(
        f"The file is not UTF-8 text: line {line_number} has the byte 0x{bad.hex().upper()}, "
        f"which is not valid UTF-8.{hint} {SAVE_AS_UTF8}",
        row=line_number,
    )


class CsvTable(Table):
    """A CSV file in UTF-8 (a byte-order mark is fine), delimited by commas, semicolons or tabs."""

    format = "csv"

    def __init__(self, path: Path):
        super().__init__()
        self._file = open(path, "rb")  # noqa: SIM115 - closed by Table.close()
        head = self._file.read(65536)
        if not head.strip():
            self.close()
            raise FileProblem("The file is empty: it has no header row and no data.")
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            self.close()
            raise FileProblem(f"The file is UTF-32 text, not UTF-8. {SAVE_AS_UTF8}")
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            self.close()
            raise FileProblem(
                f"The file is UTF-16 text (Excel's 'Unicode text'), not UTF-8. {SAVE_AS_UTF8}"
            )
        if b"\x00" in head:
            self.close()
            raise FileProblem(
                "The file contains NUL bytes: it is UTF-16 text or not a text file at all. "
                f"{SAVE_AS_UTF8}"
            )
        # An estimate for the progress bar (a quoted cell may hold line breaks); exact at the end.
        self.total_rows = max(0, self._count_lines() - 1)
        self._file.seek(0)
        self._records = self._reader()
        try:
            _, header = next(self._records)
        except StopIteration:
            self.close()
            raise FileProblem("The file is empty: it has no header row and no data.") from None
        except FileProblem:
            self.close()
            raise
        if isinstance(header, csv.Error):
            self.close()
            raise FileProblem(f"The header row cannot be read as CSV: {header}.", row=1)
        try:
            self._set_headers([cell.strip() for cell in header])
        except FileProblem:
            self.close()
            raise

    def _count_lines(self) -> int:
        self._file.seek(0)
        count, last = 0, b""
        while chunk := self._file.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
        return count + (1 if last and last != b"\n" else 0)

    def _lines(self) -> Iterator[str]:
        """Decoded lines; a byte that is not UTF-8 stops the file with the line it is on."""
        for line_number, raw in enumerate(self._file, start=1):
            if line_number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise _encoding_problem(raw, line_number, error) from None

    def _sniff_delimiter(self, first_line: str) -> str:
        counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
        best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
        return best if counts[best] else ","

    def _reader(self) -> Iterator[tuple[int, list[str]]]:
        """(row number, cells) for every record; skips blank lines before the header."""
        lines = self._lines()
        first = ""
        for first in lines:
            if first.strip():
                break
        else:
            return
        self.delimiter = self._sniff_delimiter(first)

        def all_lines():
            yield first
            yield from lines

        reader = csv.reader(all_lines(), delimiter=self.delimiter, strict=True)
        number = 0
        while True:
            number += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield number, error
                continue
            yield number, cells

    def rows(self) -> Iterator[SourceRow]:
        for number, cells in self._records:
            _check_row_number(number)
            if isinstance(cells, csv.Error):
                yield SourceRow(
                    number,
                    {},
                    problem=(
                        f"cannot be read as CSV ({cells}): the file may be cut off in the middle "
                        "of this row, or a quote is opened and never closed."
                    ),
                )
                continue
            row = self._row(number, [cell.strip() for cell in cells])
            if row is not None:
                yield row

    def close(self) -> None:
        self._file.close()


NOT_XLSX = (
    "The file is not a valid XLSX workbook, or it is cut short (truncated): {reason}. "
    "Save it again from Excel or LibreOffice as .xlsx (or as CSV UTF-8) and upload it again."
)


def _too_many_rows(rows: int, *, declared: bool = False) -> str:
    what = f"declares {rows:,} rows" if declared else f"has more than {rows:,} data rows"
    return (
        f"The file {what}; at most {MAX_ROWS:,} data rows are accepted in one import. "
        "Split it into several files."
    )


def _too_many_columns(columns: int) -> str:
    return (
        f"The file has {columns:,} columns; at most {MAX_COLUMNS} columns are accepted. "
        "Keep only the columns of the import's template."
    )


def _check_row_number(number: int) -> None:
    """Stop a stream at the row limit (row 1 is the header)."""
    if number > MAX_ROWS + 1:
        raise FileProblem(_too_many_rows(MAX_ROWS), row=number)


def _check_archive(path: Path) -> None:
    """Refuse a workbook whose parts unpack beyond the limits, before any XML is read.

    The sizes come from the archive's directory; Python's zipfile never unpacks a part beyond
    the size its directory declares, so these numbers bound the work that follows.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise FileProblem(NOT_XLSX.format(reason=_reason(error))) from None
    if len(parts) > MAX_PARTS:
        raise FileProblem(
            f"The workbook has {len(parts):,} parts; at most {MAX_PARTS:,} are accepted. "
            "Save it again from Excel or LibreOffice."
        )
    total = sum(part.file_size for part in parts)
    if total > MAX_UNPACKED_BYTES:
        raise FileProblem(
            f"The workbook unpacks to {total / 1024 / 1024:,.0f} MB; at most "
            f"{MAX_UNPACKED_BYTES // 1024 // 1024} MB are accepted. Split it into several files "
            "or upload it as CSV."
        )
    for part in parts:
        bulky = part.filename.startswith("xl/worksheets/") or part.filename.endswith(
            "sharedStrings.xml"
        )
        if not bulky and part.file_size > MAX_PART_BYTES:
            raise FileProblem(
                f"The workbook's part {part.filename} unpacks to "
                f"{part.file_size / 1024 / 1024:,.0f} MB; at most "
                f"{MAX_PART_BYTES // 1024 // 1024} MB are accepted for it. Save the workbook "
                "again without formatting, or upload it as CSV."
            )


def _far_column_problem() -> FileProblem:
    return FileProblem(
        f"The file has a value beyond column {MAX_COLUMNS}; at most {MAX_COLUMNS} columns are "
        "accepted. Keep only the columns of the import's template."
    )


def _refuse_far_cells(sheet) -> None:
    """Make the read-only sheet refuse a parsed row with a value beyond ``MAX_COLUMNS``.

    Rows are asked for no wider than the limit, and openpyxl drops what lies beyond it without a
    word; this looks at each row as parsed (openpyxl's ``_get_row``, given the row's cells with
    their column numbers) so that such a value is refused instead of silently lost.
    """
    original = getattr(sheet, "_get_row", None)
    if original is None:  # another openpyxl: the declared dimension was still checked
        return

    def get_row(row, min_col=1, max_col=None, values_only=False):
        if row and any(
            cell.get("column", 0) > MAX_COLUMNS and cell.get("value") is not None for cell in row
        ):
            raise _far_column_problem()
        return original(row, min_col, max_col, values_only)

    sheet._get_row = get_row


class XlsxTable(Table):
    """The first worksheet of an Excel workbook, streamed (openpyxl read-only mode), bounded.

    The archive's unpacked sizes and the sheet's declared dimension are checked before any row
    is read; rows are then streamed no wider than ``MAX_COLUMNS + 1`` cells and stopped past
    ``MAX_ROWS``, whatever the sheet declares (openpyxl pads every row, and every row missing
    between two rows, to the declared width).
    """

    format = "xlsx"

    def __init__(self, path: Path):
        super().__init__()
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        _check_archive(path)
        self._workbook = None
        try:
            self._workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
            sheet = self._workbook.worksheets[0]
            declared_rows, declared_columns = sheet.max_row, sheet.max_column
        except (zipfile.BadZipFile, InvalidFileException, KeyError, EOFError) as error:
            self.close()
            raise FileProblem(NOT_XLSX.format(reason=_reason(error))) from None
        except Exception as error:  # openpyxl surfaces damaged XML as many exception types
            self.close()
            raise FileProblem(NOT_XLSX.format(reason=_reason(error))) from None
        try:
            self._check_declared(declared_rows, declared_columns)
        except FileProblem:
            self.close()
            raise
        # Stream what is there, not what is declared: no padding to a declared width.
        sheet.reset_dimensions()
        _refuse_far_cells(sheet)
        try:
            self._cells = sheet.iter_rows(
                values_only=True, max_col=MAX_COLUMNS + 1, max_row=MAX_ROWS + 2
            )
            header = next(self._cells, None)
        except FileProblem:
            self.close()
            raise
        except Exception as error:
            self.close()
            raise FileProblem(NOT_XLSX.format(reason=_reason(error))) from None
        if header is None:
            self.close()
            raise FileProblem("The workbook's first sheet is empty: it has no header row.")
        try:
            self._check_width(header)
            self._set_headers([cell_text(cell) for cell in header])
        except FileProblem:
            self.close()
            raise
        if declared_rows and declared_rows > 1:
            self.total_rows = declared_rows - 1

    @staticmethod
    def _check_declared(rows: int | None, columns: int | None) -> None:
        if rows and rows > MAX_ROWS + 1:
            raise FileProblem(_too_many_rows(rows, declared=True))
        if columns and columns > MAX_COLUMNS:
            raise FileProblem(_too_many_columns(columns))
        if rows and columns and rows * columns > MAX_CELLS:
            raise FileProblem(
                f"The file declares {rows:,} rows of {columns} columns ({rows * columns:,} cells); "
                f"at most {MAX_CELLS:,} cells are accepted. Split it into several files."
            )

    @staticmethod
    def _check_width(cells) -> None:
        if len(cells) > MAX_COLUMNS and any(cell is not None for cell in cells[MAX_COLUMNS:]):
            raise _far_column_problem()

    def rows(self) -> Iterator[SourceRow]:
        number = 1
        while True:
            try:
                cells = next(self._cells)
            except StopIteration:
                return
            except FileProblem:
                raise
            except Exception as error:  # a workbook cut short fails while streaming its XML
                raise FileProblem(
                    f"The workbook is damaged or cut short (truncated): it could not be read "
                    f"past row {number} ({_reason(error)}). Save it again and upload it again.",
                    row=number + 1,
                ) from None
            number += 1
            _check_row_number(number)
            self._check_width(cells)
            # Rows come padded to the limit's width: keep the header's width, or up to the
            # last value beyond it (which _row reports as a value in an unnamed column).
            last = max((i for i, cell in enumerate(cells) if cell is not None), default=-1)
            cells = cells[: max(len(self.headers), last + 1)]
            row = self._row(number, [cell_text(cell) for cell in cells])
            if row is not None:
                yield row

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None


def _reason(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]


def open_table(path: str | Path) -> Table:
    """Open a CSV or XLSX file, chosen by its content (a workbook is a ZIP archive).

    Raises ``FileProblem`` if the file cannot be read at all. Use it as a context manager.
    """
    path = Path(path)
    with open(path, "rb") as probe:
        magic = probe.read(4)
    if magic == XLSX_MAGIC:
        return XlsxTable(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        if not magic:
            raise FileProblem("The file is empty.")
        raise FileProblem(NOT_XLSX.format(reason="it is not a ZIP archive"))
    return CsvTable(path)
