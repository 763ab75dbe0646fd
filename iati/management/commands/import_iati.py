"""``manage.py import_iati PATH...``: import IATI activity files (or folders of them)."""

import resource
import sys
import time
import tracemalloc

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from iati.services import IatiImportError, iati_import


class Command(BaseCommand):
    help = (
        "Import IATI activity XML files (2.0x; 1.0x where cheap) — files or folders scanned for "
        "*.xml — into the registry in one transaction: organisations become stakeholders, DAC "
        "sector × recipient country become outcomes, participation becomes stakes, and each "
        "activity becomes an index engagement (scored after the import commits). Re-importing "
        "the same files changes nothing. A broken file (not XML, truncated, not IATI) aborts the "
        "whole import with nothing written."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="IATI activity files or folders.")
        parser.add_argument("--user", help="Username to record in the change history.")
        parser.add_argument(
            "--trace-memory",
            action="store_true",
            help="Also measure the peak of Python allocations with tracemalloc (slower).",
        )

    def handle(self, *args, paths, user, trace_memory, **options):
        importer = None
        if user:
            try:
                importer = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {user!r}.") from None
        if trace_memory:
            tracemalloc.start()
        started = time.perf_counter()
        try:
            report = iati_import(
                paths=paths, user=importer, on_progress=self._progress(options["verbosity"])
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
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {report.activities_read:,} activities in {seconds:.1f} s ({memory})."
            )
        )

    def _progress(self, verbosity: int):
        def report(phase: str, done: int, total: int | None) -> None:
            if verbosity > 1:
                self.stdout.write(f"  {phase}: {done:,} activities")

        return report
