"""Django's user and group admins with the console's strict lookups and its audit trail."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.html import format_html, format_html_join

from npcadmin.access import allowed
from npcadmin.admin_filters import StrictLookupsMixin
from npcadmin.audit import AuditedAdminMixin
from npcadmin.models import AuditEntry


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


class AuditEntryAdmin(StrictLookupsMixin, admin.ModelAdmin):
    """The audit page: every write, filtered by user, where it came from, object and time."""

    list_display = ("at", "actor_name", "via", "action", "object_type", "object_id", "object_repr", "changed")
    list_filter = ("via", ("actor", admin.RelatedOnlyFieldListFilter), "object_type", ("at", admin.DateFieldListFilter))
    search_fields = ("=object_id", "object_repr", "action", "actor_name")
    search_help_text = "An object's exact id, its name, an action (npc.update) or a user name."
    list_select_related = ("actor",)
    ordering = ("-at", "-id")
    list_per_page = 100
    show_full_result_count = False
    fields = ("at", "actor_name", "via", "action", "object_type", "object_id", "object_repr", "changes_table",
              "detail")
    readonly_fields = fields

    @admin.display(description="changed")
    def changed(self, entry):
        return ", ".join(entry.changes) or "—"

    @admin.display(description="changes (before → after)")
    def changes_table(self, entry):
        if not entry.changes:
            return "—"
        return format_html("<table>{}</table>", format_html_join(
            "", "<tr><th>{}</th><td>{}</td><td>→</td><td>{}</td></tr>",
            ((field, before, after) for field, (before, after) in entry.changes.items())))

    def has_module_permission(self, request):
        return allowed(request.user, "view_audit")

    def has_view_permission(self, request, obj=None):
        return allowed(request.user, "view_audit")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(AuditEntry, AuditEntryAdmin)

for model, model_admin in ((User, ConsoleUserAdmin), (Group, ConsoleGroupAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
