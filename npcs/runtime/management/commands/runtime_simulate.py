"""Play the NPC engine against the runtime Redis for a while, so the runtime page moves."""

from __future__ import annotations

import asyncio
import json

from django.core.management.base import BaseCommand, CommandError

from npcs.models import NPC
from npcs.runtime.client import UNAVAILABLE_ERRORS, RuntimeClient, runtime_url
from npcs.runtime.selectors import world_states_for_cache
from npcs.runtime.simulator import EngineSimulator, NPCPlayer


class Command(BaseCommand):
    help = ("Simulate the engine for N NPCs: queue decisions at realistic priorities, pop and execute them, "
            "call the rate limiter and the LLM cache, record per-minute metrics, touch active keys. "
            "Bounded by --seconds and --max-decisions. --benchmark measures sustained operations per second.")

    def add_arguments(self, parser):
        parser.add_argument("--npcs", type=int, default=50, help="NPCs to play (the database's active ones first).")
        parser.add_argument("--seconds", type=float, default=60.0, help="Stop after this long (max 3600).")
        parser.add_argument("--max-decisions", type=int, default=0, help="Stop after queueing this many (0 = no cap).")
        parser.add_argument("--rate", type=float, default=20.0, help="Average decisions per second (in waves).")
        parser.add_argument("--workers", type=int, default=4, help="Concurrent executors.")
        parser.add_argument("--llm-limit", type=int, default=10, help="LLM calls per NPC per minute.")
        parser.add_argument("--benchmark", action="store_true", help="No pauses: measure operations per second.")
        parser.add_argument("--seed", type=int, help="Random seed, for a repeatable run.")
        parser.add_argument("--redis-url", help="Runtime Redis (default: NPCADMIN_RUNTIME_REDIS_URL).")
        parser.add_argument("--json", action="store_true", help="Print the final summary as JSON.")

    def handle(self, *args, **options):
        if not 0 < options["seconds"] <= 3600:
            raise CommandError("--seconds must be in (0, 3600]")
        if options["npcs"] < 1 or options["workers"] < 1:
            raise CommandError("--npcs and --workers must be at least 1")
        players, from_db = self.players(options["npcs"])
        self.stdout.write(f"Simulating {len(players)} NPCs ({from_db} from the database) for at most "
                          f"{options['seconds']:.0f} s{' (benchmark)' if options['benchmark'] else ''}…")
        try:
            stats = asyncio.run(self.simulate(players, options))
        except UNAVAILABLE_ERRORS as exc:
            raise CommandError(f"Redis unavailable: {exc}") from exc
        summary = stats.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(summary))
        else:
            self.stdout.write(self.style.SUCCESS(
                f"{summary['executed']} decisions executed of {summary['queued']} queued in {summary['seconds']} s; "
                f"{summary['operations']} runtime operations = {summary['operations_per_second']} ops/s; "
                f"LLM calls {summary['llm_calls']}, cache hits {summary['llm_cache_hits']}, "
                f"rate-limited {summary['rate_limited']}."))

    def players(self, count: int) -> tuple[list[NPCPlayer], int]:
        npcs = list(NPC.objects.filter(active=True, paused=False).order_by("id").values_list("id", flat=True)[:count])
        states = {ws.npc_id: ws for ws in world_states_for_cache(npc_ids=npcs)}
        players = []
        for npc_id in npcs:
            ws = states.get(npc_id)
            players.append(NPCPlayer(npc_id, villages=ws.village_count, population=ws.total_population,
                                     rank=ws.rank, offensive_power=ws.offensive_power,
                                     strategy=ws.current_strategy or "economic") if ws else NPCPlayer(npc_id))
        next_id = max(npcs, default=0) + 1_000_000  # far from real ids: never mistaken for one
        players += [NPCPlayer(next_id + n) for n in range(count - len(players))]
        return players, len(npcs)

    async def simulate(self, players, options):
        client = RuntimeClient.from_url(options["redis_url"] or runtime_url(), timeout=2.0)
        verbose = options["verbosity"] >= 2

        def report(stats):
            if verbose:
                self.stdout.write(f"  {stats.elapsed:5.1f} s  queued {stats.queued}  executed {stats.executed}  "
                                  f"{stats.operations_per_second:.0f} ops/s")

        try:
            await client.ping()
            simulator = EngineSimulator(client, players, seconds=options["seconds"],
                                        max_decisions=options["max_decisions"], rate=options["rate"],
                                        workers=options["workers"], llm_limit=options["llm_limit"],
                                        benchmark=options["benchmark"], seed=options["seed"], report=report)
            return await simulator.run()
        finally:
            await client.aclose()
