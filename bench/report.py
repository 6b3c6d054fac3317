"""Writing benchmark results into their own section of docs/benchmarks.md (between markers)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_write_argument(parser: argparse.ArgumentParser, section: str) -> None:
    """Every bench script's `--write FILE`: put its markdown section into FILE (docs/benchmarks.md)."""
    parser.add_argument("--write", type=Path, metavar="MARKDOWN",
                        help=f"update the {section} section of this markdown file")


def command_line(script: str, argv: list[str] | None) -> str:
    """How to reproduce this run, for the section's "Reproduce:" line."""
    return f"python bench/{script} {' '.join(argv if argv is not None else sys.argv[1:])}".strip()


def publish(path: Path | None, name: str, title: str, body: str) -> None:
    """Print the section; with `--write` also replace it in `path` (see `write_section`)."""
    print("\n" + body)
    if path:
        write_section(path, name, title, body)
        print(f"wrote {path}")


def write_section(path: Path, name: str, title: str, body: str) -> None:
    """Replace the `name` section of `path`, appending it under `title` the first time."""
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = f"{begin}\n{body.rstrip()}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + f"\n\n## {title}\n\n" + section + "\n"
    path.write_text(text)


def plans_markdown(heading: str, plans: list[tuple[str, float, str, str]], sql_chars: int = 2000) -> list[str]:
    """Folded `<details>` blocks of (label, slowest ms, SQL, EXPLAIN plan), under `heading`."""
    if not plans:
        return []
    lines = [f"\n{heading}\n"]
    for label, slowest_ms, sql, plan in plans:
        lines.append(f"<details><summary>{label}: {slowest_ms:.0f} ms</summary>\n\n```sql\n"
                     f"{sql[:sql_chars]}\n```\n\n```\n{plan}\n```\n</details>\n")
    return lines
