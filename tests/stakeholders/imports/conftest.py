"""Fixtures for import tests: uploaded files go to a temporary MEDIA_ROOT."""

from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from stakeholders.imports.services import import_job_create
from stakeholders.models import ImportJob
from tests.stakeholders.factories import SectorFactory

FILES = Path(__file__).parent / "files"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def sectors(db):
    return [
        SectorFactory(code="15170", name="Women's rights organisations"),
        SectorFactory(code="15220", name="Civilian peace-building"),
    ]


def fixture_bytes(name: str) -> bytes:
    return (FILES / name).read_bytes()


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """upload(user, kind, content, name) -> the job after its dry run (eager task, on commit)."""

    def upload_file(user, kind: str, content: bytes, name: str = "import.csv") -> ImportJob:
        with django_capture_on_commit_callbacks(execute=True):
            job = import_job_create(
                user=user, kind=kind, uploaded_file=SimpleUploadedFile(name, content)
            )
        job.refresh_from_db()
        return job

    return upload_file
