"""Create or update NPCs from an export file, all or nothing; `--dry-run` validates only."""

import os
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from npcadmin import audit
from npcs.transfer import NPCImportError, npcs_import


class Command(BaseCommand):
    help = ("Import NPCs from a JSON export (matched by uuid, then name); every record is validated and "
            "nothing is written if any is wrong. FILE '-' reads standard input.")

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")

    def handle(self, *args, **options):
        with audit.as_command("import_npcs"):
            return self._handle(**options)

    def _handle(self, *, file, dry_run, **options):
        try:
            # Bytes, streamed: the service reports a bad encoding itself, and a file of any size
            # costs one chunk of records in memory.
            source = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        size = None if file == "-" else os.fstat(source.fileno()).st_size
        # tqdm redraws its line with "\r"; OutputWrapper would append a newline to every write.
        bar = tqdm(total=size, unit="B", unit_scale=True, desc="validating" if dry_run else "importing",
                   file=self.stderr._out, disable=options["verbosity"] < 1 or None, dynamic_ncols=True)

        def progress(npcs_done: int, bytes_read: int) -> None:
            bar.set_postfix_str(f"{npcs_done} NPCs", refresh=False)
            bar.update(max(0, bytes_read - bar.n))

        try:
            with source, bar:
                report = npcs_import(source=source, dry_run=dry_run, progress=progress)
        except NPCImportError as exc:
            for line in exc.errors:
                self.stderr.write(self.style.ERROR(line))
            raise CommandError(f"nothing imported: {len(exc.errors)} problem(s) in {file}") from exc
        self.stdout.write(self.style.SUCCESS(report.summary()))
