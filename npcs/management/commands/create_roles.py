"""Create or update the console's groups from the role table of npcadmin/access.py."""

from django.core.management.base import BaseCommand

from npcadmin import audit
from npcadmin.access import ROLES, roles_sync


class Command(BaseCommand):
    help = f"Create/update the groups {', '.join(ROLES)} with their permissions (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")

    def handle(self, *args, **options):
        with audit.as_command("create_roles"):
            return self._handle(**options)

    def _handle(self, *, dry_run, **options):
        for change in roles_sync(dry_run=dry_run):
            verb = "would " if dry_run else ""
            state = "create" if change.created else "update"
            self.stdout.write(f"{change.group}: {verb}{state}, +{change.added} / -{change.removed} permissions")
        if not dry_run:
            self.stdout.write(self.style.SUCCESS("Roles are up to date. Users also need is_staff to log in."))
