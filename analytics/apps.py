from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Time-series metrics, their hourly aggregate and the analyst dashboards."""

    name = "analytics"
    verbose_name = "Analytics"
