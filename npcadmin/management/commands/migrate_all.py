"""Create missing databases, then migrate the global database and every world database."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from npcadmin.databases import ensure_database


class Command(BaseCommand):
    help = "Create missing databases and migrate the global one and every world (or --world X)."

    def add_arguments(self, parser):
        parser.add_argument("--world", action="append", default=[],
                            help="migrate only this world (repeatable); the global database is skipped")
        parser.add_argument("--no-create", action="store_true", help="do not create missing databases")

    def handle(self, *args, world, no_create, **options):
        unknown = sorted(set(world) - set(settings.NPCADMIN_WORLDS))
        if unknown:
            raise CommandError(f"unknown world(s) {unknown}; configured: {settings.NPCADMIN_WORLDS}")
        aliases = [f"world_{w}" for w in world] if world else ["default"] + [
            f"world_{w}" for w in settings.NPCADMIN_WORLDS]
        failed = []
        for alias in aliases:
            try:
                if not no_create and ensure_database(alias):
                    self.stdout.write(f"created database {settings.DATABASES[alias]['NAME']} ({alias})")
                self.stdout.write(self.style.MIGRATE_HEADING(f"Migrating {alias}"))
                call_command("migrate", database=alias, interactive=False,
                             verbosity=options["verbosity"], stdout=self.stdout)
            except Exception as exc:  # one world down must not stop the others
                failed.append(alias)
                self.stderr.write(self.style.ERROR(f"{alias}: {exc}"))
        if failed:
            raise CommandError(f"migration failed for: {', '.join(failed)}")
