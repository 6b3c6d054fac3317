"""The project's URLs plus the stock admin baseline at /bench-stock-admin/ (benchmarks only)."""

from django.urls import path

from bench.stock_admin import stock_site
from npcadmin.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("bench-stock-admin/", stock_site.urls), *project_urlpatterns]
