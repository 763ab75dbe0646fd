"""Backups of the database: a consistent copy now, and the copy put back.

PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot, compressed, restorable table by
table) and ``pg_restore --clean --if-exists --no-owner`` into the same or another database.
SQLite (the embedded default): SQLite's online backup API, a consistent file copy even while the
app writes. Uploaded import files (MEDIA_ROOT) are not in the database: back up that directory too.
"""

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import dj_database_url
from django.db import connection

from smartdiplomacy.exceptions import ApplicationError

BACKUP_PREFIX = "smartdiplomacy-"
SUFFIXES = {"postgresql": ".dump", "sqlite": ".sqlite3"}


def _postgres_environment(settings_dict: dict) -> tuple[list[str], dict[str, str]]:
    """``pg_dump``/``pg_restore`` connection arguments; the password goes in the environment,
    never on a command line that ``ps`` shows."""
    args = []
    if settings_dict.get("HOST"):
        args += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        args += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        args += ["--username", str(settings_dict["USER"])]
    env = {**os.environ}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise ApplicationError(f"{tool} is not installed (PostgreSQL's client tools are needed).")
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise ApplicationError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}")


def backup_name(vendor: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{BACKUP_PREFIX}{now:%Y%m%dT%H%M%SZ}{SUFFIXES[vendor]}"


def database_backup(*, output: Path) -> Path:
    """Write a consistent copy of the default database to ``output`` (written to a temporary
    name first, so a failed backup never leaves a file that looks complete)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    vendor = connection.vendor
    try:
        if vendor == "postgresql":
            args, env = _postgres_environment(connection.settings_dict)
            _run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *args,
                 "--file", str(partial), connection.settings_dict["NAME"]],
                env,
            )  # fmt: skip
        elif vendor == "sqlite":
            connection.ensure_connection()
            with sqlite3.connect(partial) as target:
                connection.connection.backup(target)
            target.close()
        else:
            raise ApplicationError(f"Backups of a {vendor} database are not supported.")
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return output


def database_restore(*, source: Path, database_url: str | None = None) -> None:
    """Put the backup ``source`` back into the database of ``database_url`` (by default the app's
    own), replacing what is there."""
    if not source.is_file():
        raise ApplicationError(f"No backup file at {source}.")
    target = dj_database_url.parse(database_url) if database_url else dict(connection.settings_dict)
    engine = target["ENGINE"]
    if engine.endswith("postgresql"):
        args, env = _postgres_environment(target)
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
             "--single-transaction", "--exit-on-error", *args, "--dbname", target["NAME"],
             str(source)],
            env,
        )  # fmt: skip
    elif engine.endswith("sqlite3"):
        if not database_url:
            connection.close()
        with sqlite3.connect(source) as backup, sqlite3.connect(target["NAME"]) as database:
            backup.backup(database)
        backup.close()
        database.close()
    else:
        raise ApplicationError(f"Restoring into {engine} is not supported.")


def backups_prune(*, directory: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest backups in ``directory`` (only files this module named);
    returns the deleted ones."""
    if keep < 1:
        raise ApplicationError(f"keep must be at least 1, not {keep}.")
    backups = sorted(
        (
            path
            for path in directory.glob(f"{BACKUP_PREFIX}*")
            if path.suffix in SUFFIXES.values() and path.is_file()
        ),
        key=lambda path: path.name,
        reverse=True,
    )
    for old in backups[keep:]:
        old.unlink()
    return backups[keep:]
