"""Benchmark `import_npcs`: the bulk, streamed import against the record-by-record one it replaced.

    .venv/bin/python bench/import_bench.py [--npcs 6600] [--relationships 10] [--old-npcs 300]
                                           [--tracemalloc] [--write docs/benchmarks.md]

Writes an export file of `--npcs` NPCs (each with `--relationships` relationships, notes and
treaties, so 6,600 NPCs with 4 each make a file of about 48 MB) and a second one of the first `--old-npcs`
NPCs, then runs each case in a fresh process (so its peak RSS is its own): the old
implementation (`npcs/services_io.py` at BASELINE_COMMIT, loaded from git) and the new one on
the small file, then the new one on the full file into an empty table, the same file again
(every record unchanged) and as a dry run. Peak memory is `ru_maxrss` of the process; with
`--tracemalloc` also the Python heap's peak (tracemalloc slows the run about 2×, so it is a
separate case). Runs against the development database and removes the NPCs it created.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import types
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASELINE_COMMIT = "082a45e"  # the last commit with the record-by-record import
PREFIX = "bench-import-"


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.local")
    import django

    django.setup()


def write_file(path: Path, npcs: int, relationships: int, seed: int = 7) -> int:
    """An export document as `export_npcs` writes it (indented), returns its size in bytes."""
    from npcs.choices import Personality, RelationshipType, Tribe

    rng = random.Random(seed)
    records = []
    for i in range(npcs):
        rels = [{"target_player_id": 1000 + p, "world_id": "demo" if p % 2 else "testworld",
                 "trust_score": rng.randint(-100, 100), "relationship_type": rng.choice(RelationshipType.values),
                 "total_interactions": rng.randint(0, 500), "last_interaction_type": "trade",
                 "last_interaction_at": "2026-11-01T10:00:00+00:00", "battles_won_against": rng.randint(0, 9),
                 "battles_lost_against": rng.randint(0, 9), "resources_raided_from": rng.randint(0, 99999),
                 "resources_lost_to": rng.randint(0, 99999),
                 "treaties_active": [{"type": "NAP", "start": "2026-01-01", "end": "2026-12-31"}],
                 "messages_sent": rng.randint(0, 50), "messages_received": rng.randint(0, 50),
                 "known_villages": [{"x": rng.randint(-200, 200), "y": rng.randint(-200, 200),
                                     "population": rng.randint(50, 900)} for _ in range(4)],
                 "known_army_composition": {"clubswinger": rng.randint(0, 900), "spearman": rng.randint(0, 900)},
                 "activity_pattern": {"active_hours": sorted(rng.sample(range(24), 6))},
                 "predicted_next_action": "raid", "prediction_confidence": round(rng.random(), 3),
                 "predicted_at": "2026-11-02T10:00:00+00:00"}
                for p in range(relationships)]
        records.append({"uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "name": f"{PREFIX}{i:05d}",
                        "tribe": rng.choice(Tribe.values), "personality": rng.choice(Personality.values),
                        "behavior_template": {"aggression": round(rng.random(), 2), "economy": round(rng.random(), 2),
                                              "diplomacy": round(rng.random(), 2),
                                              "goals": ["expand", "defend"]},
                        "llm_temperature": 0.7, "decision_cache_ttl": 3600, "strategic_update_frequency": 86400,
                        "active": True, "paused": False, "version": 1,
                        "notes": "Imported for the benchmark. " * 8, "relationships": rels})
    document = {"format": "npcadmin.npcs", "version": 1, "exported_at": "2026-12-01T00:00:00+00:00",
                "npcs": records}
    path.write_text(json.dumps(document, indent=2))
    return path.stat().st_size


def _old_module():
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{BASELINE_COMMIT}:npcs/services_io.py"],
                            check=True, capture_output=True, text=True).stdout
    module = types.ModuleType("bench_old_services_io")
    sys.modules[module.__name__] = module  # dataclasses look their module up while decorating
    exec(compile(source, f"{BASELINE_COMMIT}:npcs/services_io.py", "exec"), module.__dict__)  # noqa: S102
    return module


def _clean():
    from npcs.models import NPC

    NPC.objects.filter(name__startswith=PREFIX).delete()


def run_case(case: str, path: Path, trace: bool) -> dict:
    """One case in this process: returns seconds, NPCs, relationships and peak memory."""
    _django()
    import tracemalloc

    from npcs.models import NPCRelationship

    if case.endswith("-empty"):
        _clean()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    if case.startswith("old"):
        report = _old_module().npcs_import(data=path.read_bytes())
    else:
        from npcs.transfer import npcs_import

        with path.open("rb") as source:
            report = npcs_import(source=source, dry_run=case.startswith("dry"))
    seconds = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] if trace else None
    npcs = len(report.npcs_created) + len(report.npcs_updated) + len(report.npcs_unchanged)
    rels = NPCRelationship.objects.filter(npc__name__startswith=PREFIX).count()
    return {"case": case, "seconds": seconds, "npcs": npcs, "npcs_per_s": npcs / seconds, "relationships_in_db": rels,
            "summary": report.summary(), "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "tracemalloc_peak_mb": traced / 1e6 if traced else None}


def _subprocess(case: str, path: Path, trace: bool) -> dict:
    out = subprocess.run([sys.executable, __file__, "--case", case, "--file", str(path)]
                         + (["--tracemalloc"] if trace else []), check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--npcs", type=int, default=6600)
    parser.add_argument("--relationships", type=int, default=4)
    parser.add_argument("--old-npcs", type=int, default=300)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--write", type=Path)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate:
        _django()
        big, npcs, rels, small, old_npcs = args.generate
        write_file(Path(big), int(npcs), int(rels))
        write_file(Path(small), int(old_npcs), int(rels))
        return 0
    if args.case:
        print(json.dumps(run_case(args.case, args.file, args.tracemalloc)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "full.json", Path(tmp) / "small.json"
        # In a child: ru_maxrss survives fork+exec, so a parent that built 50 MB of JSON would
        # lend every case its peak.
        subprocess.run([sys.executable, __file__, "--generate", str(big), str(args.npcs), str(args.relationships),
                        str(small), str(args.old_npcs)], check=True)
        big_size, small_size = big.stat().st_size, small.stat().st_size
        print(f"files: {args.npcs} NPCs {big_size / 1e6:.1f} MB, {args.old_npcs} NPCs {small_size / 1e6:.1f} MB",
              file=sys.stderr)
        cases = [("old-empty", small, False), ("new-empty", small, False), ("dry-empty", big, False),
                 ("new-empty", big, False), ("new-again", big, False)]
        if args.tracemalloc:
            cases += [("new-empty", big, True), ("old-empty", small, True)]
        results = []
        for case, path, trace in cases:
            result = _subprocess(case, path, trace)
            result.update(file_mb=path.stat().st_size / 1e6, traced=trace)
            results.append(result)
            print(f"{case:10} {result['npcs']:5} NPCs {result['seconds']:7.2f} s {result['npcs_per_s']:7.0f} NPC/s "
                  f"rss {result['maxrss_mb']:.0f} MB"
                  + (f" heap {result['tracemalloc_peak_mb']:.0f} MB" if trace else ""), file=sys.stderr)
        _django()
        _clean()
    if args.write:
        from bench.report import write_section

        labels = {"old-empty": "old (record by record), empty table", "new-empty": "new (bulk, streamed), empty table",
                  "new-again": "new, same file again (all unchanged)", "dry-empty": "new, `--dry-run` (empty table)"}
        lines = [f"`bench/import_bench.py --npcs {args.npcs} --relationships {args.relationships} "
                 f"--old-npcs {args.old_npcs}{' --tracemalloc' if args.tracemalloc else ''}`, "
                 f"measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; each case its own process.\n",
                 "| case | file | NPCs | relationships | seconds | NPCs/s | peak RSS | peak Python heap |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in results:
            heap = f"{r['tracemalloc_peak_mb']:.0f} MB (traced run)" if r["traced"] else "—"
            lines.append(f"| {labels[r['case']]} | {r['file_mb']:.1f} MB | {r['npcs']} | {r['relationships_in_db']} | "
                         f"{r['seconds']:.2f} | {r['npcs_per_s']:.0f} | {r['maxrss_mb']:.0f} MB | {heap} |")
        old = next(r for r in results if r["case"] == "old-empty" and not r["traced"])
        new_small = next(r for r in results if r["case"] == "new-empty" and r["file_mb"] == old["file_mb"])
        ratio = old["seconds"] / new_small["seconds"]
        lines.append(f"\nSame {old['npcs']}-NPC file: new {ratio:.0f}× faster than old.")
        write_section(args.write, "import", "import_npcs", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
