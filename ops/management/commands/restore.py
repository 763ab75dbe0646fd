from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import database_restore
from smartdiplomacy.exceptions import ApplicationError


class Command(BaseCommand):
    # No system checks: they import every view (seconds), and a backup or restore needs none.
    requires_system_checks = []
    help = (
        "Restore a backup made by `manage.py backup` into the app's database (or the one of "
        "--database-url), replacing what is there. Stop web, worker and beat first."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path)
        parser.add_argument("--database-url", default=None, help="default: the app's database")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args, backup, database_url, interactive, **options):
        where = "the database of --database-url" if database_url else "the app's database"
        if interactive:
            answer = input(f"This replaces everything in {where} with {backup}. Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled.")
        try:
            database_restore(source=backup, database_url=database_url)
        except ApplicationError as error:
            raise CommandError(error.message_text) from None
        self.stdout.write(f"Restored {backup} into {where}.")
