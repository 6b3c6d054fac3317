"""URL map: the admin (game-master console) plus each app's pages."""

from django.contrib import admin
from django.urls import include, path

from npcadmin.views import favicon, healthz, home

urlpatterns = [
    path("", home, name="home"),
    # Browsers ask for /favicon.ico whatever the page says; answer with the one icon.
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("npcs/mind/", include("npcs.mind.urls")),
    path("worlds/", include("worlds.urls")),
    path("analytics/", include("analytics.urls")),
    path("runtime/", include("npcs.runtime.urls")),
]
