"""Writing benchmark results into their own section of docs/benchmarks.md (between markers)."""

from __future__ import annotations

from pathlib import Path


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
