from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    """The engine's Redis (the spec's "Redis Cache"): key schema, client, live pages, commands."""

    name = "npcs.runtime"
    label = "runtime"
    verbose_name = "Runtime (Redis)"

    def ready(self):
        from npcs.runtime import receivers  # noqa: F401  (connects the change announcements)
