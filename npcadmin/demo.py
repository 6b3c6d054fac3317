"""Where apps plug their demo data into `manage.py seed_demo` (a registry; imports no app).

Each app's `demo.py` is imported by `autodiscover_modules("demo")` and registers its hook:

    from npcadmin import demo as demo_registry

    @demo_registry.register
    def seed_demo(*, npcs, reset: bool, rng_seed: int, progress) -> None: ...

`seed_demo` (npcs/demo) writes the global demo world first, then calls every hook in
`INSTALLED_APPS` order with the demo NPCs (see npcs/demo/__init__.py for the contract).
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps

from npcadmin.registry import Registry

_hooks = Registry("demo")


def register(func: Callable) -> Callable:
    """Add `func` as its module's demo hook (a decorator); the module's name labels it."""
    return _hooks.add(func.__module__, func)


def hooks() -> list[tuple[str, Callable]]:
    """(module name, hook) of every app's demo hook, in `INSTALLED_APPS` order."""
    order = {config.name: i for i, config in enumerate(apps.get_app_configs())}
    return sorted(_hooks.items(), key=lambda item: order.get(item[0].rpartition(".")[0], len(order)))
