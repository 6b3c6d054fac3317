"""Play the NPC engine against a Redis of its own for a while, so the runtime page moves; clean up after it."""

from __future__ import annotations

import asyncio
import json

from django.core.management.base import BaseCommand, CommandError

from npcs.runtime.client import UNAVAILABLE_ERRORS, RuntimeClient, runtime_url
from npcs.runtime.simulator import EngineSimulator, NPCPlayer, clean_up, engine_keys, simulated_npc_ids


class Command(BaseCommand):
    help = ("Simulate the engine for N NPCs: queue decisions at realistic priorities, pop and execute them, "
            "call the rate limiter and the LLM cache, record per-minute metrics, touch active keys. "
            "Bounded by --seconds and --max-decisions. --benchmark measures sustained operations per second. "
            "Its NPCs have negative ids; it refuses a Redis holding the engine's data unless "
            "--i-understand-this-is-live. --clean-up removes what it made, and only that.")

    def add_arguments(self, parser):
        parser.add_argument("--npcs", type=int, default=50, help="NPCs to play (ids -1 .. -N, never a real NPC's).")
        parser.add_argument("--seconds", type=float, default=60.0, help="Stop after this long (max 3600).")
        parser.add_argument("--max-decisions", type=int, default=0, help="Stop after queueing this many (0 = no cap).")
        parser.add_argument("--rate", type=float, default=20.0, help="Average decisions per second (in waves).")
        parser.add_argument("--workers", type=int, default=4, help="Concurrent executors.")
        parser.add_argument("--llm-limit", type=int, default=10, help="LLM calls per NPC per minute.")
        parser.add_argument("--benchmark", action="store_true", help="No pauses: measure operations per second.")
        parser.add_argument("--seed", type=int, help="Random seed, for a repeatable run.")
        parser.add_argument("--redis-url", help="Runtime Redis (default: NPCADMIN_RUNTIME_REDIS_URL).")
        parser.add_argument("--json", action="store_true", help="Print the final summary as JSON.")
        parser.add_argument("--i-understand-this-is-live", action="store_true", dest="live",
                            help="Run even though Redis holds the engine's keys (its data is still left alone).")
        parser.add_argument("--clean-up", action="store_true",
                            help="Remove what earlier runs made (keys, queued decisions, their share of metrics).")
        parser.add_argument("--dry-run", action="store_true", help="With --clean-up: say what would go.")

    def handle(self, *args, **options):
        if options["clean_up"]:
            return self.clean_up(options)
        if not 0 < options["seconds"] <= 3600:
            raise CommandError("--seconds must be in (0, 3600]")
        if options["npcs"] < 1 or options["workers"] < 1:
            raise CommandError("--npcs and --workers must be at least 1")
        players = [NPCPlayer(npc_id) for npc_id in simulated_npc_ids(options["npcs"])]
        try:
            found = asyncio.run(self.engine_keys(options))
        except UNAVAILABLE_ERRORS as exc:
            raise CommandError(f"Redis unavailable: {exc}") from exc
        if found and not options["live"]:
            listed = ", ".join(f"{pattern}: {n}" for pattern, n in sorted(found.items()))
            raise CommandError(
                f"This Redis holds the engine's data ({listed}). The simulator would mix its NPCs and metrics "
                "with real ones: point --redis-url at a Redis of its own, or pass --i-understand-this-is-live "
                "(the engine's keys and decisions are still left alone; `runtime_simulate --clean-up` removes "
                "what the run made).")
        self.stdout.write(f"Simulating {len(players)} NPCs (ids -1 to -{len(players)}) for at most "
                          f"{options['seconds']:.0f} s{' (benchmark)' if options['benchmark'] else ''}"
                          f"{' beside the engine' if found else ''}…")
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
                f"rate-limited {summary['rate_limited']}. Remove what it made with `runtime_simulate --clean-up`."))

    def clean_up(self, options):
        async def run():
            client = RuntimeClient.from_url(options["redis_url"] or runtime_url(), timeout=2.0)
            try:
                return await clean_up(client, dry_run=options["dry_run"])
            finally:
                await client.aclose()
        try:
            report = asyncio.run(run())
        except UNAVAILABLE_ERRORS as exc:
            raise CommandError(f"Redis unavailable: {exc}") from exc
        if not any(report.values()):
            self.stdout.write("nothing of the simulator's to clean up")
            return
        verb = "would remove" if options["dry_run"] else "removed"
        self.stdout.write(self.style.SUCCESS(
            f"{verb} {report['keys']} keys and {report['decisions']} queued decisions of the simulator, and took "
            f"back its {report['metrics_decisions']} decisions from {report['metrics_minutes']} metrics minutes"))

    async def engine_keys(self, options):
        client = RuntimeClient.from_url(options["redis_url"] or runtime_url(), timeout=2.0)
        try:
            await client.ping()
            return await engine_keys(client)
        finally:
            await client.aclose()

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
