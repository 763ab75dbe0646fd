"""Import a CSV or XLSX file into the registry from the command line, with the same checks, report
and all-or-nothing import as the upload page."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from stakeholders.imports.services import import_job_apply, import_job_dry_run
from stakeholders.models import ImportJob


class Command(BaseCommand):
    help = (
        "Check (and unless --dry-run, import) a CSV/XLSX file of stakeholders, outcomes, stakes "
        "or ties. Runs as --user: it sees and changes only what that user may; without --user "
        "only public stakeholders are seen and only public ones can be written."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportJob.Kind.values)
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument("--user", help="Username to import as (and to record in history).")
        parser.add_argument(
            "--max-errors", type=int, default=50, help="How many errors to print (default 50)."
        )

    def handle(self, *args, kind, path, dry_run, user, max_errors, **options):
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        importer = None
        if user:
            try:
                importer = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {user!r}.") from None
        with path.open("rb") as handle:
            # The services' upload path (import_job_create) is for people with a browser; the
            # command is an administrator's tool and stores the job the same way, without a queue.
            job = ImportJob(kind=kind, original_filename=path.name, created_by=importer)
            job.file.save(path.name, File(handle), save=False)
            job.save()
        job = import_job_dry_run(job=job)
        self._report(job, max_errors)
        if job.status != ImportJob.Status.VALIDATED:
            raise CommandError(f"Import #{job.pk}: the file has errors; nothing was imported.")
        if dry_run:
            self.stdout.write(f"Dry run: nothing written (import #{job.pk}).")
            return
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.IMPORTING)
        job = import_job_apply(job=job)
        if job.status != ImportJob.Status.DONE:
            raise CommandError(f"Import #{job.pk} failed: {job.error_message}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported #{job.pk}: {job.create_count} created, {job.update_count} updated, "
                f"{job.unchanged_count} unchanged."
            )
        )

    def _report(self, job: ImportJob, max_errors: int) -> None:
        report = job.report or {}
        self.stdout.write(
            f"Import #{job.pk} of {job.kind} from {job.original_filename} "
            f"({report.get('format', '?')}): {job.rows_total or 0} rows — "
            f"{job.create_count} to create, {job.update_count} to update, "
            f"{job.unchanged_count} unchanged, {report.get('rows_with_errors', 0)} with errors."
        )
        if job.error_message:
            self.stdout.write(self.style.ERROR(job.error_message))
        errors = report.get("errors", [])
        for error in errors[:max_errors]:
            where = f"row {error['row']}" if error["row"] else "file"
            column = f", {error['column']}" if error["column"] else ""
            value = f" [{error['value']}]" if error.get("value") else ""
            self.stdout.write(f"  {where}{column}{value}: {error['message']}")
        hidden = report.get("errors_total", len(errors)) - min(len(errors), max_errors)
        if hidden > 0:
            self.stdout.write(f"  … and {hidden} more (see the job page).")
