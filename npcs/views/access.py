"""Who may open the mind pages: staff with the model's view permission (game masters)."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required


def staff_with_permission(perm: str):
    """Staff only (others go to the console's login page), then `perm` or 403."""

    def decorator(view):
        return staff_member_required(permission_required(perm, raise_exception=True)(view))

    return decorator
