"""Create missing databases, then migrate the global database and every world database.

Each database is migrated on its own: a world that is down is reported and skipped, the
others are still migrated, and the command exits non-zero naming what failed.
"""

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from npcadmin.databases import ensure_database
from npcadmin.routers import world_db


class Command(BaseCommand):
    help = "Create missing databases and migrate the global one and every world (or --world X)."

    def add_arguments(self, parser):
        parser.add_argument("--world", action="append", default=[],
                            help="migrate only this world (repeatable); the global database is skipped")
        parser.add_argument("--no-create", action="store_true", help="do not create missing databases")
        parser.add_argument("--dry-run", action="store_true",
                            help="show each database's migration plan; create and change nothing")

    def handle(self, *args, world, no_create, dry_run, **options):
        unknown = sorted(set(world) - set(settings.NPCADMIN_WORLDS))
        if unknown:
            raise CommandError(f"unknown world(s) {', '.join(unknown)}; configured: "
                               f"{', '.join(settings.NPCADMIN_WORLDS)}")
        aliases = [world_db(w) for w in (world or settings.NPCADMIN_WORLDS)]
        if not world:
            aliases.insert(0, "default")
        failed = []
        for alias in aliases:
            try:
                if not (no_create or dry_run) and ensure_database(alias):
                    self.stdout.write(f"created database {settings.DATABASES[alias]['NAME']} ({alias})")
                if options["verbosity"] or dry_run:
                    self.stdout.write(self.style.MIGRATE_HEADING(f"Migrating {alias}"))
                call_command("migrate", database=alias, interactive=False, plan=dry_run,
                             verbosity=options["verbosity"], stdout=self.stdout)
            except (DatabaseError, psycopg.Error) as exc:  # one database down must not stop the others
                failed.append(alias)
                detail = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
                self.stderr.write(self.style.ERROR(f"{alias} ({settings.DATABASES[alias]['NAME']}): {detail}"))
        if failed:
            raise CommandError(f"migration failed for: {', '.join(failed)}")
