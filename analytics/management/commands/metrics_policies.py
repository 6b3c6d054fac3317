"""Apply NPCADMIN_METRICS_COMPRESS_AFTER / NPCADMIN_METRICS_RETAIN to npc_metrics (analytics/policies.py)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from analytics import policies
from npcadmin import audit


class Command(BaseCommand):
    help = ("Compression and retention of raw npc_metrics samples. TimescaleDB: add, replace or remove "
            "the compression and retention policies to match the settings (idempotent; --run-now also "
            "compresses/drops at once). Native: detach and drop monthly partitions older than the "
            "retention (cron, daily); the hourly rollup keeps their hours. --dry-run changes nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--compress-after", type=int, default=None, metavar="DAYS",
                            help="days (0 = none; default NPCADMIN_METRICS_COMPRESS_AFTER)")
        parser.add_argument("--retain", type=int, default=None, metavar="DAYS",
                            help="days of raw samples kept (0 = all; default NPCADMIN_METRICS_RETAIN)")
        parser.add_argument("--run-now", action="store_true",
                            help="TimescaleDB: also compress and drop the chunks now, not only by the jobs")
        parser.add_argument("--detach-only", action="store_true",
                            help="native: detach the expired partitions but keep their tables (an archive)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")
        parser.add_argument("--no-input", "--noinput", action="store_false", dest="interactive",
                            help="do not ask before dropping raw samples")

    def handle(self, *args, **options):
        with audit.as_command("metrics_policies"):
            return self._handle(**options)

    def _handle(self, *, compress_after, retain, run_now, detach_only, dry_run, interactive, **options):
        try:
            plan = policies.plan(compress_after=compress_after, retain=retain)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for change in plan.changes:
            self.stdout.write(f"{plan.backend}: {'would ' if dry_run and change in plan.pending else ''}"
                              f"{change.text}")
        if dry_run:
            if not plan.pending:
                self.stdout.write(f"{plan.backend}: nothing to change")
            return
        destructive = plan.destructive or (run_now and plan.retain and plan.backend == "timescaledb")
        if destructive and interactive:
            answer = input(f"This drops raw npc_metrics samples older than {plan.retain} days (the hourly "
                           "aggregates keep their hours). Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Cancelled; nothing changed.")
        done = policies.apply(plan, run_now=run_now, detach_only=detach_only)
        if done:
            audit.record(via="command", action="metrics.policies", object_type="analytics.npc_metrics",
                         object_id="npc_metrics", object_repr="npc_metrics",
                         detail={"backend": plan.backend, "compress_after_days": plan.compress_after,
                                 "retain_days": plan.retain, "done": done})
        for line in done:
            self.stdout.write(self.style.SUCCESS(f"{plan.backend}: {line}"))
        if not done:
            self.stdout.write(f"{plan.backend}: nothing to change")
