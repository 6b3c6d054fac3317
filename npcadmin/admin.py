"""Django's user and group admins with the console's strict lookups and its audit trail."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User

from npcadmin.admin_filters import StrictLookupsMixin
from npcadmin.audit import AuditedAdminMixin


class ConsoleUserAdmin(AuditedAdminMixin, StrictLookupsMixin, UserAdmin):
    """Users: only superusers grant superuser status or single permissions (roles are groups),
    so a user manager cannot make anyone, themselves included, more than a role allows."""

    SUPERUSER_ONLY = ("is_superuser", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else (*readonly, *self.SUPERUSER_ONLY)

    def get_queryset(self, request):
        users = super().get_queryset(request)
        # A superuser's account (password, groups, e-mail) is for superusers to change.
        return users if request.user.is_superuser else users.filter(is_superuser=False)


class ConsoleGroupAdmin(AuditedAdminMixin, StrictLookupsMixin, GroupAdmin):
    """Groups: the roles of docs/console.md."""


for model, model_admin in ((User, ConsoleUserAdmin), (Group, ConsoleGroupAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
