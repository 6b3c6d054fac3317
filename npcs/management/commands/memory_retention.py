"""Delete memories past their `expires_at` in short batches; safe from cron next to the engine."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from npcadmin import audit
from npcs.retention import memory_retention_run


class Command(BaseCommand):
    help = ("Delete npc_memory rows whose expires_at has passed, in batches of short transactions "
            "(FOR UPDATE SKIP LOCKED); stops cleanly on SIGTERM/SIGINT and after --max-seconds.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per transaction (default 5000)")
        parser.add_argument("--max-seconds", type=float, default=None, help="stop starting batches after this")
        parser.add_argument("--pause", type=float, default=0.0, help="seconds to sleep between batches")
        parser.add_argument("--dry-run", action="store_true", help="count the expired memories, delete nothing")

    def handle(self, *args, **options):
        with audit.as_command("memory_retention"):
            return self._handle(**options)

    def _handle(self, *, batch_size, max_seconds, pause, dry_run, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        stop = threading.Event()
        previous = self._install_handlers(stop)
        verbose = options["verbosity"] >= 2
        try:
            report = memory_retention_run(
                batch_size=batch_size, max_seconds=max_seconds, dry_run=dry_run, pause=pause, stop=stop,
                on_batch=(lambda n, total: self.stdout.write(f"  batch: {n} deleted ({total} so far)"))
                if verbose else None,
            )
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write(report.summary())
        if report.stopped == "lock-timeout":
            raise CommandError("gave up: npc_memory stayed locked (is memory_partitions running?)")

    def _install_handlers(self, stop: threading.Event) -> dict:
        """SIGTERM/SIGINT finish the current batch, then stop (only possible in the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            return {}

        def request_stop(signum, frame):
            stop.set()

        return {signum: signal.signal(signum, request_stop) for signum in (signal.SIGTERM, signal.SIGINT)}
