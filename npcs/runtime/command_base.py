"""What every `runtime_*` management command shares: --dry-run, --no-input, and a clear error
(not a traceback) when Redis is unavailable."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from npcadmin import audit
from npcs.runtime.client import RuntimeUnavailable
from npcs.runtime.sync import SyncRuntime


class RuntimeCommand(BaseCommand):
    writes = True  # commands that only read set this to False: no --dry-run / --no-input

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        if self.writes:
            parser.add_argument("--dry-run", action="store_true", help="Say what would change; change nothing.")
            parser.add_argument("--no-input", "--noinput", action="store_false", dest="interactive",
                                help="Do not ask for confirmation.")
        return parser

    def execute(self, *args, **options):
        self.runtime = SyncRuntime()
        try:
            # Writes without a user are recorded as command:<name> (npcadmin/audit.py).
            with audit.as_command(self.__module__.rsplit(".", 1)[-1]):
                return super().execute(*args, **options)
        except RuntimeUnavailable as exc:
            raise CommandError(f"Redis unavailable ({exc}); nothing was changed.") from exc

    def confirm(self, options, question: str) -> bool:
        """Ask before destroying (skipped by --no-input and --dry-run)."""
        if options.get("dry_run") or not options.get("interactive", True):
            return True
        answer = input(f"{question} Type 'yes' to continue: ")
        if answer.strip().lower() != "yes":
            self.stdout.write("Cancelled; nothing was changed.")
            return False
        return True

    def summary(self, options, text: str) -> None:
        prefix = "[dry run] would have: " if options.get("dry_run") else ""
        self.stdout.write(self.style.SUCCESS(prefix + text))
