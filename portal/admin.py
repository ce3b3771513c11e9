"""Django admin for superusers (operator tooling). The tenant middleware runs /admin/ for
superusers inside `unscoped()`, so these querysets see every tenant; filters narrow by tenant."""

from django.contrib import admin

from portal.models import Department, GlossaryTerm, JobRun, Membership, Tenant


class TenantOwnedAdmin(admin.ModelAdmin):
    list_filter = ["tenant"]
    readonly_fields = ["tenant"]

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        # Rows are created inside a tenant (pages, commands, imports), where tenant is set.
        return False


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "currency", "locale", "timezone", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(Membership)
class MembershipAdmin(TenantOwnedAdmin):
    list_display = ["user", "tenant", "role"]
    list_filter = ["tenant", "role"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]


@admin.register(Department)
class DepartmentAdmin(TenantOwnedAdmin):
    list_display = ["name", "tenant", "head", "data_ambassador"]
    raw_id_fields = ["head", "data_ambassador"]


@admin.register(JobRun)
class JobRunAdmin(TenantOwnedAdmin):
    list_display = ["kind", "tenant", "status", "created_at", "started_at", "finished_at"]
    list_filter = ["tenant", "kind", "status"]


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(TenantOwnedAdmin):
    list_display = ["term", "tenant", "updated_at"]
    search_fields = ["term"]
