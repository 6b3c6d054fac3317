"""Write NPC profiles, behaviour templates and relationships to a JSON file (format in docs/operations.md)."""

from django.core.management.base import BaseCommand, CommandError

from npcs.transfer import npcs_export_json


class Command(BaseCommand):
    help = "Export NPCs (all, or --npc NAME ...) with their behaviour templates and relationships as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--npc", action="append", default=[], metavar="NAME",
                            help="export only this NPC (repeatable)")
        parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")

    def handle(self, *args, npc, output, **options):
        try:
            text = npcs_export_json(names=npc or None)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"wrote {output}")
        else:
            self.stdout.write(text, ending="")
