"""URL map: the admin (game-master console) plus each app's pages."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from npcadmin.views import healthz

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("npcs/mind/", include("npcs.mind.urls")),
    path("worlds/", include("worlds.urls")),
    path("analytics/", include("analytics.urls")),
    path("runtime/", include("npcs.runtime.urls")),
]
