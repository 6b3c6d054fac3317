"""The demo world: `manage.py seed_demo --npcs 500` fills the databases with a believable game.

`npcs.demo.world` decides what the demo NPCs are and did (pure Python, seeded); `npcs.demo.seeding`
writes it into the global database in one transaction and derives what depends on the rows
(ranks, alliance leaders and totals, the counters on `npcs`); `npcs.demo.vocabulary` holds the words.

Demo NPCs carry `DEMO_NOTE` in `npcs.notes`; `demo_npcs()` selects them. Their names depend only
on their index, so a re-run adds only the NPCs that are missing and never duplicates a row;
`--reset` deletes the demo rows and starts over, in the same transaction.

Extension hooks (for other apps' demo data)
-------------------------------------------
After the global data is committed, `seed_demo` calls every hook registered with
`npcadmin.demo` (each app's `demo.py`, found by `autodiscover_modules("demo")`; today
`worlds.demo` and `analytics.demo`). A hook is registered with `@npcadmin.demo.register`::

    def seed_demo(*, npcs: list[NPC], reset: bool, rng_seed: int, progress) -> None

- `npcs`: the demo NPCs (`npcs.demo.demo_npcs()`, ordered by id); their worlds, player ids
  and village counts are in `NPCWorldState` (village *i* of a player is `player_id * 100 + i`
  in the demo's relationships and battles).
- `reset`: `--reset` was given: delete this module's demo rows first, then recreate them.
- `rng_seed`: `--seed`; seed your own `random.Random` from it (with a prefix of your own) so
  the same seed gives the same world.
- `progress`: a callable taking one step report (a count or a short message), written as a
  line to the command's stderr.

A hook must be idempotent (a second run without `reset` adds nothing twice), do its writes in
its own transactions on the databases it uses, and raise on failure; `seed_demo` reports the
error, runs the remaining hooks and exits non-zero.
"""

from npcs.demo.seeding import (
    DEFAULT_SEED,
    DEMO_NOTE,
    DemoLogin,
    DemoWorldError,
    HookResult,
    SeedReport,
    demo_counts,
    demo_npcs,
    demo_password_file,
    ensure_demo_admin,
    reset_demo_world,
    run_demo_hooks,
    seed_demo_world,
)

__all__ = [
    "DEFAULT_SEED",
    "DEMO_NOTE",
    "DemoLogin",
    "DemoWorldError",
    "HookResult",
    "SeedReport",
    "demo_counts",
    "demo_npcs",
    "demo_password_file",
    "ensure_demo_admin",
    "reset_demo_world",
    "run_demo_hooks",
    "seed_demo_world",
]
