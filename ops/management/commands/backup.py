import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from ops.backup import BACKUP_PREFIX, backup_name, backups_prune, database_backup
from smartdiplomacy.exceptions import ApplicationError


class Command(BaseCommand):
    # No system checks: they import every view (seconds), and a backup or restore needs none.
    requires_system_checks = []
    help = (
        "Back up the database: pg_dump (custom format) on PostgreSQL, a consistent file copy on "
        "SQLite. Writes BACKUP_DIR/smartdiplomacy-<UTC time>.dump (or .sqlite3) and keeps the "
        "newest BACKUP_KEEP. `--check-age S` only checks that the newest backup is younger than "
        "S seconds (the compose health check)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="write exactly this file (no pruning)")
        parser.add_argument("--dir", type=Path, default=None, help="default: BACKUP_DIR")
        parser.add_argument("--keep", type=int, default=None, help="default: BACKUP_KEEP")
        parser.add_argument("--check-age", type=float, default=None, metavar="SECONDS")

    def handle(self, *args, output, dir, keep, check_age, **options):
        directory = dir or Path(settings.BACKUP_DIR)
        keep = settings.BACKUP_KEEP if keep is None else keep
        if check_age is not None:
            return self._check(directory, check_age)
        started = time.monotonic()
        target = output or directory / backup_name(connection.vendor)
        try:
            database_backup(output=target)
            pruned = [] if output else backups_prune(directory=directory, keep=keep)
        except ApplicationError as error:
            raise CommandError(error.message_text) from None
        size = target.stat().st_size
        self.stdout.write(
            f"Backed up {connection.vendor} database to {target} ({size / 1e6:.1f} MB) in "
            f"{time.monotonic() - started:.1f} s"
            + (f"; removed {len(pruned)} older backup(s), keeping {keep}" if pruned else "")
        )

    def _check(self, directory: Path, max_age: float) -> None:
        newest = max(directory.glob(f"{BACKUP_PREFIX}*"), key=lambda p: p.stat().st_mtime,
                     default=None)  # fmt: skip
        if newest is None:
            raise CommandError(f"No backup in {directory} yet.")
        age = time.time() - newest.stat().st_mtime
        if age > max_age:
            raise CommandError(f"The newest backup, {newest.name}, is {age:.0f} s old.")
        self.stdout.write(f"{newest.name} is {age:.0f} s old.")
