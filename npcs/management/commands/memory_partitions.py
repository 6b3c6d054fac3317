"""Create `npc_memory` months ahead (or since a past month), clear the default partition, report, drop old months."""

from __future__ import annotations

import argparse
import contextlib
import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from npcs import partitions


def _month(text: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month (YYYY-MM)") from None


class Command(BaseCommand):
    help = (
        "Create npc_memory partitions for the current month and --ahead months after it, list every "
        "partition with its row estimate and the rows waiting in the default partition, and with "
        "--drop-old detach/drop months past the retention. --dry-run changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=None,
                            help="months to create after the current one (default NPCADMIN_MEMORY_PARTITIONS_AHEAD)")
        parser.add_argument("--since", type=_month, default=None, metavar="YYYY-MM",
                            help="also create every month from YYYY-MM to the current one (before loading history)")
        parser.add_argument("--clear-default", action="store_true",
                            help="create the month of every row waiting in the default partition and move the rows")
        parser.add_argument("--batch-size", type=int, default=partitions.MOVE_BATCH,
                            help=f"rows moved out of the default partition per transaction "
                                 f"(default {partitions.MOVE_BATCH})")
        parser.add_argument("--drop-old", action="store_true",
                            help="detach and drop partitions entirely older than the retention")
        parser.add_argument("--retention-months", type=int, default=None,
                            help="months kept before the current one (default NPCADMIN_MEMORY_RETENTION_MONTHS)")
        parser.add_argument("--detach-only", action="store_true",
                            help="with --drop-old: detach the old partitions but keep their tables")
        parser.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")
        parser.add_argument("--no-input", "--noinput", action="store_false", dest="interactive",
                            help="do not ask before dropping")
        parser.add_argument("--database", default="default", help="database alias of the global NPC database")

    def handle(self, *args, ahead, since, clear_default, batch_size, drop_old, retention_months, detach_only,
               dry_run, interactive, database, **options):
        ahead = settings.NPCADMIN_MEMORY_PARTITIONS_AHEAD if ahead is None else ahead
        retention = settings.NPCADMIN_MEMORY_RETENTION_MONTHS if retention_months is None else retention_months
        if ahead < 0 or retention < 0:
            raise CommandError("--ahead and --retention-months must be 0 or more.")
        if batch_size < 1:
            raise CommandError("--batch-size must be 1 or more.")
        if detach_only and not drop_old:
            raise CommandError("--detach-only goes with --drop-old.")
        if drop_old and retention == 0:
            raise CommandError("No retention set (NPCADMIN_MEMORY_RETENTION_MONTHS=0 keeps every month); "
                               "pass --retention-months N.")
        today = timezone.now().date()  # UTC: partition months are UTC months
        would = "would create" if dry_run else "created"

        if since and since > partitions.month_start(today):
            raise CommandError(f"--since {since:%Y-%m} is after the current month.")
        months = partitions.months_since(since, today, ahead) if since else partitions.months_ahead(today, ahead)
        if clear_default:
            months = sorted(set(months) | set(partitions.waiting_months(using=database)))
        with self._bar(dry_run) as bar:
            created = partitions.ensure_months(months, using=database, dry_run=dry_run, batch_size=batch_size,
                                               progress=bar.update if bar is not None else None)
        for name in created:
            self.stdout.write(f"{would} {name}")

        if drop_old:
            self._drop_old(today, retention, detach_only, dry_run, interactive, database)

        self._report(database)

    @contextlib.contextmanager
    def _bar(self, dry_run):
        """A bar counting the rows moved out of the default partition (long only when many wait)."""
        if dry_run:
            yield None
            return
        with tqdm(desc="rows moved from the default partition", unit="row", file=self.stderr,
                  disable=None, leave=False) as bar:
            yield bar

    def _drop_old(self, today, retention, detach_only, dry_run, interactive, database) -> None:
        expired = partitions.expired_partitions(today, retention, using=database)
        verb = "detach" if detach_only else "detach and drop"
        if not expired:
            self.stdout.write(f"no partition older than {retention} months")
            return
        names = ", ".join(p.name for p in expired)
        if dry_run:
            self.stdout.write(f"would {verb} {names}")
            return
        if interactive:
            answer = input(f"This will {verb} {names} (memories older than {retention} months). "
                           "Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Cancelled; nothing dropped.")
        partitions.drop_partitions(expired, using=database, detach_only=detach_only)
        self.stdout.write(self.style.SUCCESS(f"{'detached' if detach_only else 'dropped'} {names}"))

    def _report(self, database) -> None:
        for info in partitions.partition_report(using=database):
            estimate = "not analysed" if info.estimated_rows is None else f"~{info.estimated_rows} rows"
            self.stdout.write(f"{info.name:<22} {info.bounds}  {estimate}")
        waiting = partitions.default_partition_rows(using=database)
        line = f"{waiting} rows waiting in {partitions.DEFAULT_PARTITION}"
        if waiting:
            self.stdout.write(self.style.WARNING(line + " (`memory_partitions --clear-default` moves them into "
                                                        "their months)"))
        else:
            self.stdout.write(line)
