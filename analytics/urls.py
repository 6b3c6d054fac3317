"""Analyst dashboards (namespace `analytics`)."""

app_name = "analytics"

urlpatterns: list = []
