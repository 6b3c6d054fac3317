"""Template context every page shares: the admin's header and sidebar, and the product's areas."""

from __future__ import annotations

from django.contrib import admin

from npcadmin.navigation import areas_for


def navigation(request):
    """Custom pages extend the admin's base; give them what the admin's own views put in context.

    Admin views already carry their site's `each_context` (their values win over a processor's),
    so it is only built for the other pages, and only for staff: anonymous pages have no sidebar.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {}
    context = {"nav_areas": areas_for(user, current_path=request.path)}
    match = getattr(request, "resolver_match", None)
    # Any AdminSite's own pages (app_name "admin", whatever the site's namespace) bring their context.
    if not (match and match.app_name == "admin"):
        context.update(admin.site.each_context(request))
    return context
