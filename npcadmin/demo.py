"""Where apps plug their demo data into `manage.py seed_demo` (a registry; imports no app).

Each app's `demo.py` is imported by `autodiscover_modules("demo")` and registers its hook:

    from npcadmin import demo as demo_registry

    @demo_registry.register
    def seed_demo(*, npcs, reset: bool, rng_seed: int, progress) -> None: ...

`seed_demo` (npcs/demo) writes the global demo world first, then calls every hook in
`INSTALLED_APPS` order with the demo NPCs (see npcs/demo/__init__.py for the contract).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.apps import apps
from django.utils.module_loading import autodiscover_modules

_hooks: dict[str, Callable] = {}
_lock = threading.Lock()
_discovered = False


def register(func: Callable) -> Callable:
    """Add `func` as its module's demo hook (a decorator); the module's name labels it."""
    with _lock:
        _hooks[func.__module__] = func
    return func


def hooks() -> list[tuple[str, Callable]]:
    """(module name, hook) of every app's demo hook, discovered once."""
    global _discovered
    if not _discovered:
        autodiscover_modules("demo")
        _discovered = True
    order = {config.name: i for i, config in enumerate(apps.get_app_configs())}
    with _lock:
        return sorted(_hooks.items(), key=lambda item: order.get(item[0].rpartition(".")[0], len(order)))
