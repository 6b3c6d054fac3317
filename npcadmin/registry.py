"""A registry that apps fill from one module of theirs (`health.py`, `demo.py`, `nav.py`).

Each app module calls `add(key, value)` when imported; the first read imports every installed
app's module of that name once (`autodiscover_modules`), so npcadmin never names an app.
"""

from __future__ import annotations

import threading

from django.utils.module_loading import autodiscover_modules


class Registry:
    """Entries keyed by name (a later `add` of the same key replaces it), discovered once."""

    def __init__(self, module_name: str):
        self.module_name = module_name
        self.entries: dict = {}
        self._lock = threading.Lock()
        self._discovered = False

    def add(self, key, value):
        with self._lock:
            self.entries[key] = value
        return value

    def discover(self) -> None:
        if not self._discovered:
            autodiscover_modules(self.module_name)
            self._discovered = True

    def items(self) -> list[tuple]:
        """(key, value) of every entry in registration order, after discovery."""
        self.discover()
        with self._lock:
            return list(self.entries.items())
