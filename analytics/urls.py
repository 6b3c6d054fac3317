"""Analyst dashboards (namespace `analytics`)."""

from django.urls import path

from analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.index, name="index"),
    path("plotly-<str:version>.min.js", views.plotly_js, name="plotly_js"),
    path("<slug:slug>/", views.dashboard, name="dashboard"),
]
