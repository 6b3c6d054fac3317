"""Report (and with --delete remove) world rows whose NPC no longer exists in the global database.

`npc_village_config.npc_id` and `npc_build_queue_history.npc_id` refer to `npcs.id` in another
database, so no foreign key cascades when an NPC is deleted (seed flaw 6); run this after
deleting NPCs, or from cron.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from npcadmin import audit
from worlds.faults import WorldUnavailable, world_faults
from worlds.selectors import world_orphans
from worlds.services import world_orphans_delete


class Command(BaseCommand):
    help = "Report world rows (village configs, build history) whose NPC no longer exists; --delete removes them."

    def add_arguments(self, parser):
        parser.add_argument("--world", action="append", default=[], help="only this world (repeatable)")
        parser.add_argument("--delete", action="store_true", help="delete the orphaned rows")
        parser.add_argument("--dry-run", action="store_true", help="with --delete: say what would go, delete nothing")
        parser.add_argument("--no-input", action="store_false", dest="interactive", help="do not ask before deleting")

    def handle(self, *args, **options):
        with audit.as_command("world_orphans"):
            return self._handle(**options)

    def _handle(self, *, world, delete, dry_run, interactive, **options):
        unknown = sorted(set(world) - set(settings.NPCADMIN_WORLDS))
        if unknown:
            raise CommandError(f"unknown world(s) {', '.join(unknown)}; configured: "
                               f"{', '.join(settings.NPCADMIN_WORLDS)}")
        failed = []
        for world_id in world or settings.NPCADMIN_WORLDS:
            try:
                with world_faults(world_id):
                    self._one_world(world_id, delete=delete, dry_run=dry_run, interactive=interactive)
            except WorldUnavailable as fault:
                failed.append(world_id)
                self.stderr.write(self.style.ERROR(fault.reason))
        if failed:
            raise CommandError(f"could not check: {', '.join(failed)}")

    def _one_world(self, world_id: str, *, delete: bool, dry_run: bool, interactive: bool) -> None:
        report = world_orphans(world_id)
        if not report.npc_ids:
            self.stdout.write(f"{world_id}: no orphaned rows")
            return
        self.stdout.write(f"{world_id}: {report.configs} village configs and {report.builds} builds of "
                          f"{len(report.npc_ids)} missing NPCs: {', '.join(map(str, report.npc_ids))}")
        if not delete:
            return
        if dry_run:
            self.stdout.write(f"{world_id}: dry run, would delete {report.rows} rows")
            return
        if interactive:
            answer = input(f"Delete these {report.rows} rows from world {world_id}? [y/N] ")
            if answer.strip().lower() not in {"y", "yes"}:
                self.stdout.write(f"{world_id}: kept")
                return
        configs, builds = world_orphans_delete(world_id=world_id, npc_ids=report.npc_ids)
        self.stdout.write(self.style.SUCCESS(f"{world_id}: deleted {configs} village configs and {builds} builds"))
