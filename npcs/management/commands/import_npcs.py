"""Create or update NPCs from an export file, all or nothing; `--dry-run` validates only."""

import sys

from django.core.management.base import BaseCommand, CommandError

from npcadmin import audit
from npcs.services_io import NPCImportError, npcs_import


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
            if file == "-":
                data = sys.stdin.buffer.read()
            else:
                with open(file, "rb") as handle:  # bytes: the service reports a bad encoding itself
                    data = handle.read()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        try:
            report = npcs_import(data=data, dry_run=dry_run)
        except NPCImportError as exc:
            for line in exc.errors:
                self.stderr.write(self.style.ERROR(line))
            raise CommandError(f"nothing imported: {len(exc.errors)} problem(s) in {file}") from exc
        self.stdout.write(self.style.SUCCESS(report.summary()))
