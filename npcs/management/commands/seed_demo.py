"""Fill the databases with the demo world and make sure there is a login to see it with."""

from __future__ import annotations

import functools
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from npcs import demo

# Where the app is served (`make run` sets NPCADMIN_URL from its BIND and PORT).
ADMIN_URL = os.environ.get("NPCADMIN_URL", "http://127.0.0.1:8000").rstrip("/") + "/admin/"


class Command(BaseCommand):
    help = ("Create a believable demo world (NPCs, world states, relationships, memories, decisions, alliances, "
            "messages, battles, trades) and a demo admin login. Re-running adds only what is missing.")

    def add_arguments(self, parser):
        parser.add_argument("--npcs", type=int, default=500, help="number of demo NPCs (default 500)")
        parser.add_argument("--reset", action="store_true", help="delete the demo data first and start over")
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED,
                            help=f"random seed: the same seed gives the same world (default {demo.DEFAULT_SEED})")
        parser.add_argument("--no-input", "--noinput", action="store_false", dest="interactive",
                            help="do not ask before --reset deletes the demo data")
        parser.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")
        parser.add_argument("--allow-production", action="store_true",
                            help="run even with production settings (demo NPCs would join a live game)")

    def handle(self, *args, npcs, reset, seed, interactive, dry_run, allow_production, **options):
        if settings.NPCADMIN_PRODUCTION and not allow_production:
            raise CommandError("Refusing to load demo data with production settings; pass --allow-production "
                               "if this really is a throw-away database.")
        if npcs < 1:
            raise CommandError("--npcs must be at least 1")
        # tqdm redraws its line with "\r"; OutputWrapper would append a newline to every write.
        progress = functools.partial(tqdm, file=self.stderr._out, dynamic_ncols=True,
                                     disable=options["verbosity"] < 1)
        if reset and interactive and not dry_run:
            existing = demo.demo_counts()
            if existing["npcs"] and not self._confirm(existing):
                raise CommandError("Reset cancelled; nothing was changed.")

        try:
            report = demo.seed_demo_world(npcs=npcs, reset=reset, rng_seed=seed, progress=progress,
                                          dry_run=dry_run)
        except demo.DemoWorldError as exc:
            raise CommandError(f"{exc} Nothing was changed.") from exc
        self._report(report)
        if dry_run:
            self.stdout.write("Dry run: extension hooks and the demo login were skipped.")
            return

        hooks = demo.run_demo_hooks(reset=reset, rng_seed=seed, note=lambda line: self.stderr.write(str(line)))
        for hook in hooks:
            if hook.status == "ran":
                self.stdout.write(f"{hook.module}: demo data done")
            else:
                self.stderr.write(self.style.ERROR(f"{hook.module}: {hook.error}"))

        login = demo.ensure_demo_admin()
        if login.password:
            self.stdout.write(self.style.SUCCESS(f"Log in at {ADMIN_URL} as {login.username} / {login.password}"))
        else:
            self.stdout.write(self.style.SUCCESS(
                f"Log in at {ADMIN_URL} as {login.username} (an existing user; its password was left unchanged)"))
        failed = [h.module for h in hooks if h.status == "failed"]
        if failed:
            raise CommandError(f"demo hooks failed: {', '.join(failed)} (the global demo data is in place)")

    def _confirm(self, counts: dict[str, int]) -> bool:
        summary = ", ".join(f"{n} {table}" for table, n in counts.items() if n)
        try:
            answer = input(f"--reset deletes the demo world ({summary}) and creates it again.\n"
                           "Type 'yes' to continue: ")
        except EOFError:  # no terminal to answer from: --no-input is the way
            return False
        return answer.strip().lower() == "yes"

    def _report(self, report: demo.SeedReport) -> None:
        verb = "would be" if report.dry_run else "were"
        if report.deleted:
            deleted = ", ".join(f"{n} {table}" for table, n in report.deleted.items())
            self.stdout.write(f"Deleted demo rows{' (dry run)' if report.dry_run else ''}: {deleted}")
        if not report.created:
            self.stdout.write(f"All {report.requested} demo NPCs asked for are already there "
                              f"({report.demo_total} demo NPCs in all): nothing to add. Use --reset to start over.")
            return
        self.stdout.write(f"{report.created} demo NPCs {verb} created"
                          + (f" ({report.existing} already present)" if report.existing else "")
                          + (f" in {report.seconds:.1f} s" if not report.dry_run else "") + ".")
        for table, n in report.rows.items():
            self.stdout.write(f"  {table:<20} {n:>8} rows")
