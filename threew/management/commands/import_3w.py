"""``manage.py import_3w FILE [--source NAME] [--map "Organisation=#org,..."] [--dry-run]``."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from threew.hxl import TAG_OF_FIELD, MappingError, mapping_parse
from threew.rows import ThreeWImportError
from threew.services import threew_import


class Command(BaseCommand):
    help = (
        "Import a 3W / 4W (who does what where) file, CSV or XLSX, tagged with HXL hashtags "
        "(#org, #org+impl, #org+funder, #sector, #adm1, #country, #status, #date…) or mapped "
        "with --map: organisations become stakeholders, sector × area outcomes, each "
        "organisation a stake, organisations of one row 'partners with' ties. One transaction "
        "per file; rows imported before are left unchanged. Exits non-zero when nothing could "
        "be imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="A CSV (UTF-8) or XLSX file.")
        parser.add_argument(
            "--source",
            default="",
            help="The source's name (remembers its mapping and its rows); default: the file's "
            "name without extension.",
        )
        parser.add_argument(
            "--map",
            dest="column_map",
            default="",
            help="For a file without hashtags: Header=#tag pairs separated by commas, e.g. "
            '"Organisation=#org,Org type=#org+type,Region=#adm1,Cluster=#sector". Tags: '
            + ", ".join(TAG_OF_FIELD.values()),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and check everything, write nothing."
        )
        parser.add_argument("--user", help="Username to record in the change history.")

    def handle(self, *args, file, source, column_map, dry_run, user, **options):
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user).first()
            if importer is None:
                raise CommandError(f"No user named {user!r}.")
        try:
            mapping = mapping_parse(column_map) if column_map else None
        except MappingError as error:
            raise CommandError(f"--map: {error}") from None

        def progress(rows: int) -> None:
            if options["verbosity"] > 1:
                self.stdout.write(f"  {rows:,} rows read")

        try:
            report = threew_import(
                path=file,
                source_name=source,
                user=importer,
                mapping=mapping,
                dry_run=dry_run,
                on_progress=progress,
            )
        except ThreeWImportError as error:
            if error.report is not None and error.report.columns:
                for line in error.report.lines():
                    self.stdout.write(line)
            raise CommandError(str(error)) from None
        for line in report.lines():
            self.stdout.write(line)
        verb = "Checked" if dry_run else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {report.rows_imported:,} rows of {report.rows_read:,} "
                f"({report.rows_unchanged:,} unchanged, {report.rows_skipped:,} skipped) in "
                f"{report.seconds:.1f} s."
            )
        )
