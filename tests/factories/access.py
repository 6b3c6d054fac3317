"""Users in the roles of npcadmin/access.py (the groups come from `roles_sync`, as in production)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from npcadmin.access import roles_sync

PASSWORD = "role-password-123"


def user_in_role(role: str | None, *, username: str | None = None, staff: bool = True, superuser: bool = False):
    """A staff user in the group `role` (None: in no group); a superuser with `superuser=True`."""
    if role is not None and not Group.objects.filter(name=role).exists():
        roles_sync()
    username = username or f"{role or 'nogroup'}-user"
    model = get_user_model()
    if superuser:
        return model.objects.create_superuser(username, password=PASSWORD)
    user = model.objects.create_user(username, password=PASSWORD, is_staff=staff)
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    return user
