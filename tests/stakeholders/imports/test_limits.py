"""Imports are bounded before they are parsed, and parsed in the background job only.

A 5 KB workbook can declare a sheet of 17 billion cells (``<dimension ref="A1:XFD1048576"/>``) and
put one cell in its last row: streamed as it declares, every empty row is padded to 16,384 cells
and the dry run spins for tens of CPU-minutes. The archive's sizes and the sheet's declared
dimension are checked first, then rows are streamed and counted, each no wider than the limit.
"""

import io
import re
import time
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from smartdiplomacy import tasks as task_queue
from stakeholders.imports import parsing
from stakeholders.models import ImportJob, Stakeholder
from tests.stakeholders.imports.conftest import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db
Status = ImportJob.Status


def declared(rows: list[list], *, ref: str, cells: dict | None = None) -> bytes:
    """A small workbook whose first sheet declares the dimension ``ref``."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for where, value in (cells or {}).items():
        sheet[where] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data, found = re.subn(
                    rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{ref}"/>'.encode(), data
                )
                assert found == 1
            zf.writestr(info.filename, data)
    return out.getvalue()


HEADER = [["name", "kind", "country"], ["Relief Now", "ngo", "KE"]]


def test_a_tiny_workbook_declaring_a_huge_sheet_is_refused_at_once(officer, upload):
    content = declared(HEADER, ref="A1:XFD1048576", cells={"A1048576": "x"})
    assert len(content) < 6000
    started = time.monotonic()
    job = upload(officer, "stakeholders", content, "bomb.xlsx")
    assert time.monotonic() - started < 5
    assert job.status == Status.INVALID
    assert f"at most {parsing.MAX_ROWS:,} data rows" in job.error_message
    assert "1,048,576" in job.error_message  # what it declares
    assert Stakeholder.objects.count() == 0


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        (f"A1:C{parsing.MAX_ROWS + 2}", f"at most {parsing.MAX_ROWS:,} data rows"),
        ("A1:ZZ2", f"at most {parsing.MAX_COLUMNS} columns"),
    ],
)
def test_declared_rows_and_columns_over_the_limits_are_refused(tmp_path, ref, words):
    path = tmp_path / "declared.xlsx"
    path.write_bytes(declared(HEADER, ref=ref))
    with pytest.raises(parsing.FileProblem, match=re.escape(words)):
        parsing.open_table(path)


def test_an_undeclared_far_row_stops_the_stream_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(parsing, "MAX_ROWS", 50)
    path = tmp_path / "far.xlsx"
    # No dimension to warn of it: one cell in the last row a sheet can have.
    path.write_bytes(declared(HEADER, ref="A1", cells={"A1048576": "x"}))
    started = time.monotonic()
    with parsing.open_table(path) as table, pytest.raises(parsing.FileProblem, match="at most 50"):
        list(table.rows())
    assert time.monotonic() - started < 5


def test_an_undeclared_far_column_is_refused(tmp_path):
    path = tmp_path / "wide.xlsx"
    path.write_bytes(declared(HEADER, ref="A1", cells={"XFD2": "x"}))
    with (
        parsing.open_table(path) as table,
        pytest.raises(parsing.FileProblem, match=f"at most {parsing.MAX_COLUMNS} columns"),
    ):
        list(table.rows())


def test_a_workbook_that_unpacks_beyond_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(parsing, "MAX_UNPACKED_BYTES", 4096)
    path = tmp_path / "big.xlsx"
    path.write_bytes(xlsx_bytes([["name", "kind"], *[["x" * 50, "ngo"]] * 200]))
    with pytest.raises(parsing.FileProblem, match="unpacks to"):
        parsing.open_table(path)


def test_a_csv_over_the_row_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(parsing, "MAX_ROWS", 3)
    path = tmp_path / "many.csv"
    path.write_bytes(csv_bytes("name,kind", *[f"Actor {n},ngo" for n in range(5)]))
    with parsing.open_table(path) as table, pytest.raises(parsing.FileProblem, match="at most 3"):
        list(table.rows())


def test_the_upload_request_never_parses_the_file(
    client, officer, monkeypatch, settings, django_capture_on_commit_callbacks
):
    """In the embedded mode (no broker) the dry run runs beside the request, not inside it."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMBEDDED_TASKS_IN_THREADS = True
    started: list = []
    monkeypatch.setattr(task_queue, "start_thread", lambda run: started.append(run))

    def not_here(*args, **kwargs):
        raise AssertionError("the upload request parsed the file")

    monkeypatch.setattr(parsing, "open_table", not_here)
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("stakeholder_imports:job_list"),
            {
                "kind": "stakeholders",
                "file": SimpleUploadedFile("bomb.xlsx", declared(HEADER, ref="A1:XFD1048576")),
            },
        )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == Status.UPLOADED and len(started) == 1
    monkeypatch.undo()
    started[0]()  # the background thread's work, run here
    job.refresh_from_db()
    assert job.status == Status.INVALID and "at most" in job.error_message
