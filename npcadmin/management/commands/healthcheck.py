"""Check the global and world databases, Redis, the channel layer, TimescaleDB, partitions and aggregates."""

import json

from django.core.management.base import BaseCommand, CommandError

from npcadmin import health


class Command(BaseCommand):
    help = ("Check every dependency of NPC Admin; one line per check, exit status 1 when any fails "
            "(2 with --strict when only warnings).")

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the results as JSON")
        parser.add_argument("--timeout", type=float, default=None,
                            help="seconds each check may take (default NPCADMIN_HEALTH_TIMEOUT)")
        parser.add_argument("--strict", action="store_true", help="warnings fail too")
        parser.add_argument("--only", action="append", default=[],
                            help="run only checks whose name starts with this (repeatable)")

    def handle(self, *args, json: bool, timeout, strict, only, **options):
        checks = health.all_checks()
        if only:
            checks = [c for c in checks if any(c.name.startswith(prefix) for prefix in only)]
            if not checks:
                raise CommandError(f"no check matches {only}; names: {[c.name for c in health.all_checks()]}")
        results = health.run_checks(checks, timeout=timeout)
        status = health.overall_status(results)
        if json:
            self.stdout.write(_json_dumps({"status": status, "checks": [r.as_dict() for r in results]}))
        else:
            styles = {health.OK: self.style.SUCCESS, health.WARNING: self.style.WARNING,
                      health.ERROR: self.style.ERROR}
            for r in results:
                line = f"{r.status.upper():7} {r.name}: {health.redact(r.message)} ({r.duration_ms:.0f} ms)"
                self.stdout.write(styles[r.status](line))
        if status == health.ERROR or (strict and status == health.WARNING):
            problems = [r.name for r in results if r.status == health.ERROR or (strict and r.status != health.OK)]
            raise CommandError(f"unhealthy: {', '.join(problems)}", returncode=1 if status == health.ERROR else 2)


def _json_dumps(data) -> str:
    return json.dumps(data, indent=2, default=str)
