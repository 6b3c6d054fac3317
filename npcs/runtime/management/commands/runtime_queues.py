"""Inspect the engine's decision queues, or drain them to JSON lines (nothing is lost)."""

from __future__ import annotations

import json
import sys
import time

from django.core.management.base import CommandError

from npcadmin import audit
from npcs.runtime.command_base import RuntimeCommand


class Command(RuntimeCommand):
    help = ("Inspect the decision queues (depth, oldest waiting, next decisions) or drain them: "
            "`runtime_queues inspect`, `runtime_queues drain --priority 7 --output drained.jsonl`.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["inspect", "drain"], nargs="?", default="inspect")
        parser.add_argument("--priority", type=int, action="append",
                            help="Only this priority (repeatable). Drain needs it, or --all.")
        parser.add_argument("--all", action="store_true", help="Drain every priority.")
        parser.add_argument("--peek", type=int, default=3, help="Decisions shown per queue by inspect.")
        parser.add_argument("--limit", type=int, default=0, help="Drain at most this many (0 = no limit).")
        parser.add_argument("--output", help="Write drained decisions here as JSON lines (default: stdout).")

    def handle(self, *args, **options):
        priorities = sorted(set(options["priority"] or self.runtime.queue_priorities()))
        if options["action"] == "inspect":
            return self.inspect(priorities, options["peek"])
        if not options["priority"] and not options["all"]:
            raise CommandError("drain needs --priority P (repeatable) or --all")
        return self.drain(priorities, options)

    def inspect(self, priorities, peek):
        now = time.time()
        depths = self.runtime.queue_depths(priorities)
        self.stdout.write(f"{'priority':>8} {'depth':>7} {'oldest waiting':>15}")
        for depth in depths:
            age = depth.oldest_age_seconds(now)
            self.stdout.write(f"{depth.priority:>8} {depth.depth:>7} {'' if age is None else f'{age:.0f} s':>15}")
            if depth.depth and peek > 0:
                for item in self.runtime.peek(depth.priority, count=peek):
                    self.stdout.write(f"{'':>10}npc {item.npc_id}: {json.dumps(item.payload, default=str)[:100]}")
        self.stdout.write(self.style.SUCCESS(f"{sum(d.depth for d in depths)} decisions queued."))

    def drain(self, priorities, options):
        depths = {d.priority: d.depth for d in self.runtime.queue_depths(priorities)}
        total = sum(depths.values())
        if options["limit"]:
            total = min(total, options["limit"])
        if options["dry_run"]:
            self.summary(options, f"drained {total} decisions from priorities {priorities} ({depths}).")
            return
        if not self.confirm(options, f"Drain {total} decisions from priorities {priorities}?"):
            return
        out = open(options["output"], "a", encoding="utf-8") if options["output"] else sys.stdout  # noqa: SIM115
        drained = 0
        try:
            while not options["limit"] or drained < options["limit"]:
                item = self.runtime.pop_next(priorities)  # atomic: never both here and in the engine
                if item is None:
                    break
                out.write(json.dumps({"priority": item.priority, "queued_at": item.queued_at.timestamp(),
                                      "decision": item.decision}, default=str) + "\n")
                drained += 1
        finally:
            if out is not sys.stdout:
                out.close()
            audit.record(actor="unknown", via="command", action="runtime.queue_drain", object_type="runtime.queue",
                         object_id=",".join(map(str, priorities)), detail={"removed": drained})
        (self.stderr if out is sys.stdout else self.stdout).write(
            self.style.SUCCESS(f"Drained {drained} decisions from priorities {priorities}."))
