"""The files of an import: folders expanded, digests, schema validation of each file."""

import hashlib
from collections.abc import Iterable
from pathlib import Path

from smartdiplomacy.exceptions import ApplicationError

from ..validation import file_problems
from .report import IatiImportError, ImportReport

SAMPLE_FILE = Path(__file__).resolve().parent.parent / "sample" / "dportal-covid-401-activities.xml"

VALIDATION_MODES = ("report", "strict", "off")


def _validation_check(validation: str) -> None:
    if validation not in VALIDATION_MODES:
        raise ApplicationError(
            f"validation must be one of {', '.join(VALIDATION_MODES)}, not {validation!r}.",
            "validation",
        )


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_validate(path: Path, *, report: ImportReport, strict: bool) -> None:
    """Add the file's schema problems to the report; strict: refuse the import on the first."""
    for problem in file_problems(path):
        if strict:
            raise IatiImportError(
                f"Nothing was imported: {path} does not validate against the IATI schema of its "
                f"version (--strict): {problem}."
            )
        report.problem(problem, source=path.name)


def files_expand(paths: Iterable[str | Path]) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() == ".xml" and p.is_file())
            if not found:
                raise IatiImportError(f"Nothing was imported: {path} holds no .xml file.")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise IatiImportError(f"Nothing was imported: {path} is neither a file nor a folder.")
    if not files:
        raise IatiImportError("Nothing was imported: no file given.")
    return files
