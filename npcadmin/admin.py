"""Django's user and group admins with the console's strict changelist lookups."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from npcadmin.admin_filters import StrictLookupsMixin


class ConsoleUserAdmin(StrictLookupsMixin, UserAdmin):
    """Users: filter by staff, superuser, active and group only."""


class ConsoleGroupAdmin(StrictLookupsMixin, GroupAdmin):
    """Groups: the roles of docs/console.md."""


for model, model_admin in ((User, ConsoleUserAdmin), (Group, ConsoleGroupAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
