"""Load npc_metrics samples from CSV files with COPY, in batches."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from analytics.ingest import DEFAULT_BATCH_ROWS, IngestError
from analytics.services import metrics_ingest_csv


class Command(BaseCommand):
    help = "Load npc_metrics rows from CSV files (header naming the columns; times with a zone) using COPY."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, help="CSV files ('-' for standard input)")
        parser.add_argument("--batch-rows", type=int, default=DEFAULT_BATCH_ROWS,
                            help=f"rows per COPY and transaction (default {DEFAULT_BATCH_ROWS})")
        parser.add_argument("--skip-duplicates", action="store_true",
                            help="keep existing samples with the same (time, npc_id) instead of failing")
        parser.add_argument("--dry-run", action="store_true", help="read and check the files, load nothing")

    def handle(self, *args, files, batch_rows, skip_duplicates, dry_run, verbosity, **options):
        import sys

        if batch_rows < 1:
            raise CommandError("--batch-rows must be at least 1")
        total = 0
        for path in files:
            stream = sys.stdin if str(path) == "-" else None
            if stream is None and not path.is_file():
                raise CommandError(f"{path}: no such file")
            with (stream or path.open(newline="", encoding="utf-8")) as handle, tqdm(
                desc=str(path), unit=" rows", disable=verbosity < 1 or not sys.stderr.isatty(),
            ) as bar:
                try:
                    result, refreshed = metrics_ingest_csv(stream=handle, batch_rows=batch_rows,
                                                           skip_duplicates=skip_duplicates, dry_run=dry_run,
                                                           progress=bar.update)
                except IngestError as exc:
                    raise CommandError(f"{path}: {exc}") from exc
            total += result.rows
            verb = "would load" if dry_run else "loaded"
            skipped = f", {result.skipped} duplicates skipped" if result.skipped else ""
            self.stdout.write(f"{path}: {verb} {result.rows} rows in {result.batches} batches{skipped}")
            if refreshed is not None:
                self.stdout.write(f"{path}: {refreshed.describe()}")
        if not dry_run:
            self.stdout.write(self.style.SUCCESS(f"{total} rows loaded; the hours they cover are refreshed"))
