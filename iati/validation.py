"""Validation of IATI activity files against the official schema of their declared version.

The XSDs of versions 1.01–2.03 ship in ``schemas/<version>/`` (see its README). A file says its
version in ``<iati-activities version="…">`` (1.0x let an activity say its own: that one wins);
``file_problems`` validates each ``<iati-activity>`` against that version's schema and yields one
``Problem`` per schema error, with its line.

Why one activity at a time: validating a whole file needs its whole tree (lxml's tree of a 100 MB
file is several hundred MB), and the importer already streams. lxml's ``iterparse`` builds one
activity, ``XMLSchema.validate`` checks it as the global ``iati-activity`` element it is in every
version's schema (the errors and their lines are those of validating the whole document), and
the activity is dropped before the next is read: memory stays that of one activity. What this
does not check is the root element's own attributes (e.g. a malformed ``generated-datetime``).
"""

import dataclasses
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from lxml import etree

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SUPPORTED_VERSIONS = ("1.01", "1.02", "1.03", "1.04", "1.05", "2.01", "2.02", "2.03")
# 2.0x requires @version; a file without one is read as the parser reads it (2.03).
DEFAULT_VERSION = "2.03"


@dataclasses.dataclass(frozen=True)
class Problem:
    """One schema error: where (line; the activity's identifier when it has one) and what."""

    line: int | None
    message: str
    identifier: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        if self.identifier:
            where += f" ({self.identifier})"
        return f"{where}: {self.message}"


@functools.cache
def schema_for(version: str) -> etree.XMLSchema:
    """The official schema of ``version`` (one of ``SUPPORTED_VERSIONS``), loaded once."""
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / version / "iati-activities-schema.xsd")))


def version_declared(text: str | None) -> str:
    """The schema version a declared ``@version`` names: "1.01"–"2.03" as written, "1.1" → "1.01"
    style spellings tolerated; "" when no schema is shipped for it."""
    text = (text or "").strip()
    if not text:
        return DEFAULT_VERSION
    if text in SUPPORTED_VERSIONS:
        return text
    major, _, minor = text.partition(".")
    if major.isdigit() and minor.isdigit():
        candidate = f"{int(major)}.{int(minor):02d}"
        if candidate in SUPPORTED_VERSIONS:
            return candidate
    return ""


def file_problems(source: str | Path | IO[bytes]) -> Iterator[Problem]:
    """Yield every schema problem of an IATI activity file, activity by activity, in bounded
    memory. A file that is not well-formed yields one problem where parsing stopped (the
    importer then refuses it); a version with no shipped schema yields one problem and stops."""
    schema = None
    root = None
    try:
        events = etree.iterparse(
            str(source) if isinstance(source, Path) else source,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            remove_comments=True,
        )
        for event, element in events:
            if root is None:
                root = element
                if element.tag != "iati-activities":
                    yield Problem(
                        element.sourceline, f"the root is <{element.tag}>, not <iati-activities>"
                    )
                    return
                declared = element.get("version")
                version = version_declared(declared)
                if not version:
                    yield Problem(
                        element.sourceline,
                        f"no schema for IATI version {declared!r} (shipped: "
                        f"{', '.join(SUPPORTED_VERSIONS)}): not validated",
                    )
                    return
                if not declared:
                    yield Problem(
                        element.sourceline,
                        f"<iati-activities> declares no version: validated against {version}",
                    )
                schema = schema_for(version)
                continue
            if event != "end" or element.tag != "iati-activity" or element.getparent() is not root:
                continue
            activity_schema = schema
            # 1.0x let an activity declare its own version. (d-portal's namespaced
            # ns:version is the original file's: its export is written in the root's version.)
            if version_declared(element.get("version")) and element.get("version"):
                activity_schema = schema_for(version_declared(element.get("version")))
            if not activity_schema.validate(element):
                identifier = " ".join((element.findtext("iati-identifier") or "").split())
                for error in activity_schema.error_log:
                    yield Problem(error.line or None, error.message, identifier[:100])
            # Drop the activity and whatever preceded it under the root.
            element.clear()
            while element.getprevious() is not None:
                del root[0]
    except etree.XMLSyntaxError as error:
        line = error.lineno if hasattr(error, "lineno") else None
        yield Problem(line, f"not well-formed XML ({error.msg})")
