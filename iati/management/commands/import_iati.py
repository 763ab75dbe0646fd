"""``manage.py import_iati PATH...``: import IATI activity files (or folders of them)."""

import resource
import sys
import time
import tracemalloc

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from iati.importing import IatiImportError, files_expand, iati_import
from iati.jobs import iati_folder_job_create, iati_job_resume
from iati.validation import file_problems
from smartdiplomacy.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Import IATI activity XML files (2.0x; 1.0x where cheap) — files or folders scanned for "
        "*.xml — into the registry in one transaction: organisations become stakeholders, DAC "
        "sector × recipient country become outcomes, participation becomes stakes, and each "
        "activity becomes an index engagement (scored after the import commits). Re-importing "
        "the same files changes nothing. A broken file (not XML, truncated, not IATI) aborts the "
        "whole import with nothing written. Each file is checked against the official IATI "
        "schema of its version; problems are listed with their lines and usable activities are "
        "imported (--strict refuses the file instead; --validate only checks). A run where no "
        "activity could be used fails (exit status 1) naming the commonest reasons."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="IATI activity files or folders.")
        parser.add_argument(
            "--job",
            action="store_true",
            help="Queue the files as one background job, one Celery task per step of files "
            "(about 4 MB of XML), with progress per file on its page (/registry/iati/TOKEN/, "
            "for --user); prints the token.",
        )
        parser.add_argument(
            "--resume",
            metavar="TOKEN",
            help="Go on with a job whose worker was killed (or that failed on a file since "
            "fixed): the files done are kept, the others imported.",
        )
        parser.add_argument("--user", help="Username to record in the change history.")
        parser.add_argument(
            "--trace-memory",
            action="store_true",
            help="Also measure the peak of Python allocations with tracemalloc (slower).",
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--validate",
            action="store_true",
            help="Only check the files against the IATI schema of their version; import nothing. "
            "Fails (exit status 1) when a file has a problem.",
        )
        mode.add_argument(
            "--strict",
            action="store_true",
            help="Refuse the import (nothing written) when a file has any schema problem.",
        )
        mode.add_argument(
            "--no-validation", action="store_true", help="Do not check the schema (faster)."
        )

    def handle(self, *args, paths, user, trace_memory, validate, strict, no_validation, **options):
        if options["resume"]:
            try:
                iati_job_resume(token=options["resume"])
            except ApplicationError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(self.style.SUCCESS(f"Resumed IATI import {options['resume']}."))
            return
        if not paths:
            raise CommandError("Name at least one IATI file or folder (or --resume TOKEN).")
        if validate:
            return self._validate(paths)
        importer = None
        if user:
            try:
                importer = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {user!r}.") from None
        if options["job"]:
            try:
                token = iati_folder_job_create(
                    user=importer,
                    paths=paths,
                    validation="strict" if strict else "off" if no_validation else "report",
                )
            except IatiImportError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(self.style.SUCCESS(f"Queued IATI import {token}."))
            return
        if trace_memory:
            tracemalloc.start()
        started = time.perf_counter()
        try:
            report = iati_import(
                paths=paths,
                user=importer,
                on_progress=self._progress(options["verbosity"]),
                validation="strict" if strict else "off" if no_validation else "report",
            )
        except IatiImportError as error:
            raise CommandError(str(error)) from None
        finally:
            traced_peak = tracemalloc.get_traced_memory()[1] if trace_memory else None
            if trace_memory:
                tracemalloc.stop()
        seconds = time.perf_counter() - started
        for line in report.lines():
            self.stdout.write(line)
        # ru_maxrss is in kilobytes on Linux, bytes on macOS.
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rss_mb = rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024
        memory = f"peak resident memory of the process {rss_mb:,.0f} MB"
        if traced_peak is not None:
            memory += f", peak Python allocations {traced_peak / 1024 / 1024:,.1f} MB"
        if report.failure:
            raise CommandError(report.failure)
        skipped = report.activities_read - report.activities_usable
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {report.activities_usable:,} of {report.activities_read:,} activities "
                f"({skipped:,} skipped, {report.problem_count:,} schema problems) in "
                f"{seconds:.1f} s ({memory})."
            )
        )

    def _validate(self, paths) -> None:
        try:
            files = files_expand(paths)
        except IatiImportError as error:
            raise CommandError(str(error)) from None
        total = 0
        for path in files:
            count = 0
            for problem in file_problems(path):
                count += 1
                self.stdout.write(f"{path}, {problem}")
            total += count
            self.stdout.write(f"{path}: {count:,} schema problems")
        if total:
            raise CommandError(
                f"{total:,} schema problems in {len(files)} file(s); nothing imported."
            )
        self.stdout.write(self.style.SUCCESS(f"{len(files)} file(s) valid; nothing imported."))

    def _progress(self, verbosity: int):
        def report(phase: str, done: int, total: int | None) -> None:
            if verbosity > 1:
                self.stdout.write(f"  {phase}: {done:,} activities")

        return report
