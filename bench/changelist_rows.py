"""Changelist row rendering: the console's fast rows against Django's per-cell rows, same pages.

    .venv/bin/python bench/changelist_rows.py [--repeat 30] [--write docs/benchmarks.md]

Times each console changelist's first page (the development database, a logged-in superuser,
Django's test client) with its rows rendered by `npcadmin.templatetags.fast_admin_list` and, in
the same process, interleaved request by request, with the stock `{% result_list %}` (the
admin's `change_list_template` switched back to Django's). The SQL is the same in both; the
difference is the rendering of 50 rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npcadmin.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

PAGES = ["/admin/npcs/npcdecision/", "/admin/npcs/npcmemory/", "/admin/npcs/npcbattle/",
         "/admin/npcs/npcdecision/?used_llm__exact=1"]


def _timed(client: Client, url: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return (time.perf_counter() - started) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args(argv)
    rows = []
    with override_settings(ALLOWED_HOSTS=["*"], DEBUG=False, SECURE_SSL_REDIRECT=False):
        user, _ = get_user_model().objects.get_or_create(
            username="bench-superuser", defaults={"is_staff": True, "is_superuser": True})
        client = Client()
        client.force_login(user)
        for url in PAGES:
            model_admin = next(a for m, a in admin.site._registry.items()
                               if f"/{m._meta.app_label}/{m._meta.model_name}/" in url)
            fast_template = model_admin.change_list_template
            times = {"fast": [], "django": []}
            for _ in range(2):  # warm templates and plans
                client.get(url)
            for _ in range(args.repeat):
                for kind in ("fast", "django"):
                    model_admin.change_list_template = fast_template if kind == "fast" else None
                    times[kind].append(_timed(client, url))
            model_admin.change_list_template = fast_template
            fast, stock = statistics.median(times["fast"]), statistics.median(times["django"])
            rows.append((url, fast, stock))
            print(f"{fast:7.1f} ms fast rows {stock:7.1f} ms Django rows {stock / fast:5.2f}×  {url}", flush=True)
    lines = [f"`bench/changelist_rows.py --repeat {args.repeat}`, measured "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; medians of {args.repeat} requests each, "
             "interleaved; whole request (SQL included, the same for both).\n",
             "| page | fast rows ms | Django's rows ms | Django ÷ fast |", "|---|---:|---:|---:|"]
    lines += [f"| `{url}` | {fast:.1f} | {stock:.1f} | {stock / fast:.2f}× |" for url, fast, stock in rows]
    if args.write:
        from bench.report import write_section

        write_section(args.write, "changelist-rows", "Changelist row rendering", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
